"""``dpo-workbench audit list`` and ``dpo-workbench audit verify``.

The main command adds these with :func:`register` and runs them with :func:`run`.
They read only the settings file's ``state`` database and the audit key file:
neither the datamap nor the installation's databases are needed.

Exit status: 0 success (``verify``: the log is intact), 3 a configuration or
database error, 4 ``verify`` found the log tampered with.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from .audit import Action, AuditLog, format_events, open_audit_log
from .errors import EXIT_CHECK_FAILED, EXIT_OK, WorkbenchError, exit_status
from .settings import load_settings


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", required=True, metavar="FILE",
                   help="the installation's settings file (the demo's is "
                        "demo-install/workbench.yaml)")


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
    audit = subparsers.add_parser(
        "audit", help="the audit log: list its events, verify its hash chain",
        description="Who did what, when, on which tables and how many rows.")
    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    lst = actions.add_parser("list", help="show the audit log, oldest event first")
    _add_config(lst)
    lst.add_argument("--action", choices=[a.value for a in Action], metavar="ACTION",
                     help="only this action (" + ", ".join(a.value for a in Action) + ")")
    lst.add_argument("--user", help="only events of this workbench user")
    lst.add_argument("--limit", type=_positive, metavar="N", help="only the newest N events")
    lst.add_argument("--format", choices=("text", "json"), default="text",
                     help="output format (default: text)")

    verify = actions.add_parser(
        "verify", help="check that no event was edited or deleted (exit status 4 if so)")
    _add_config(verify)
    return audit


def _list(log: AuditLog, args: argparse.Namespace, out: TextIO) -> int:
    events = log.events(action=args.action, user=args.user, limit=args.limit)
    if args.format == "json":
        out.write(json.dumps([e.to_dict() for e in events], indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(format_events(events) + "\n")
    return EXIT_OK


def _verify(log: AuditLog, out: TextIO) -> int:
    report = log.verify()
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
                return _verify(log, out)
            return _list(log, args, out)
    except WorkbenchError as exc:
        err.write(f"error: {exc}\n")
        return exit_status(exc)
