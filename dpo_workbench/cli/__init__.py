"""The ``dpo-workbench`` command: a thin face over the library.

:func:`main` parses the arguments (:mod:`.parser`), looks the command up in
:data:`COMMANDS` and runs it; every handler translates its arguments, calls the
library and prints the result (:mod:`.commands`, :mod:`.audit`, :mod:`.demo`).
Exceptions become exit statuses through the one table of
:mod:`dpo_workbench.errors`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TextIO

from ..errors import EXIT_OK, EXIT_USAGE, InvalidCriteria, WorkbenchError, exit_status
from .parser import build_parser, command_of

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _lazy(module: str, name: str) -> Handler:
    """A handler imported when it runs: a command loads only what it needs."""
    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        import importlib

        handler: Handler = getattr(importlib.import_module(module, __name__), name)
        return handler(args, out, err)
    return run


def _request(args: argparse.Namespace) -> AbstractContextManager[object]:
    """The request reference (``--reference``) every audit event of the command carries."""
    reference = getattr(args, "request_reference", None)
    if reference is None:
        return nullcontext()
    from ..audit.reference import request_reference

    return request_reference(reference)


#: Command name -> handler.
COMMANDS: Mapping[str, Handler] = {
    "search": _lazy(".commands", "search"),
    "explain": _lazy(".commands", "explain"),
    "details": _lazy(".commands", "details"),
    "check": _lazy(".commands", "check"),
    "indexes": _lazy(".commands", "indexes"),
    "report": _lazy(".commands", "report"),
    "erase": _lazy(".erase", "erase"),
    "verify": _lazy(".verify", "verify"),
    "audit": _lazy(".audit", "run"),
    "demo": _lazy(".demo", "demo"),
    "datamap": _lazy(".datamap", "run"),
    "batch": _lazy(".batch", "batch"),
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(argv))  # only the command that runs is built in full
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    try:
        with _request(args):
            return COMMANDS[args.command](args, out, err)
    except InvalidCriteria as exc:
        for problem in exc.problems.values():
            print(f"error: {problem}", file=err)
        return exit_status(exc)
    except KeyboardInterrupt as exc:
        print("interrupted", file=err)
        return exit_status(exc)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except WorkbenchError as exc:
        print(f"error: {exc}", file=err)
        return exit_status(exc)


__all__ = ["COMMANDS", "build_parser", "main"]
