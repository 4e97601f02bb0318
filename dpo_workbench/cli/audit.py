"""``dpo-workbench audit list`` and ``dpo-workbench audit verify``.

They read only the settings file's ``state`` database, the audit key file and the
head file beside it: neither the datamap nor the installation's databases are
needed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ..audit import AuditLog, format_events, open_audit_log
from ..errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError, WorkbenchError, exit_status
from ..settings import load_settings
from .documents import verify_document
from .emit import emit_json
from .parser import add_audit


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``audit`` command and its actions to ``subparsers``.

    ``subparsers`` is what ``ArgumentParser.add_subparsers()`` returned; the
    parsed namespace gets ``command="audit"`` and ``audit_command``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> _ = register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["audit", "list", "--config", "w.yaml", "--limit", "5"])
    >>> args.audit_command, args.limit, args.format
    ('list', 5, 'text')
    """
    return add_audit(subparsers)


def _list(log: AuditLog, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    by = args.by
    if args.user_filter is not None:
        if by is not None and by != args.user_filter:
            raise UsageError("give the user to show once, with --by (--user is its old "
                             "spelling).")
        err.write("warning: `audit list --user` is the old spelling of `--by` (everywhere "
                  "else --user says who acts); use --by.\n")
        by = args.user_filter
    events = log.events(action=args.action, user=by, limit=args.limit,
                        reference=args.reference)
    if args.format == "json":
        emit_json([e.to_dict() for e in events], out)
    else:
        out.write(format_events(events) + "\n")
    return EXIT_OK


def _verify(log: AuditLog, args: argparse.Namespace, out: TextIO) -> int:
    report = log.verify()
    if args.format == "json":
        emit_json(verify_document(report), out)
    else:
        out.write(report.describe() + "\n")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run a parsed ``audit`` command; return the exit status.

    ``out`` and ``err`` default to the standard streams at the time of the call.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {x: sqlite:///x.sqlite}\\n")
    >>> parser = argparse.ArgumentParser()
    >>> _ = register(parser.add_subparsers(dest="command"))
    >>> out = io.StringIO()
    >>> run(parser.parse_args(["audit", "verify", "-c", str(d / "w.yaml")]), out)
    0
    >>> out.getvalue()
    'Audit log intact: 0 events checked; last event 0, hash 000000000000.\\n'
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        with open_audit_log(load_settings(args.config)) as log:
            if args.audit_command == "verify":
                return _verify(log, args, out)
            return _list(log, args, out, err)
    except WorkbenchError as exc:
        err.write(f"error: {exc}\n")
        return exit_status(exc)
