"""``dpo-workbench batch``: many requests, a report each, a summary (:mod:`dpo_workbench.batch`)."""

from __future__ import annotations

import argparse
from typing import TextIO

from ..batch import Status
from ..errors import EXIT_INCOMPLETE, EXIT_OK
from ..progress import progress_display
from .commands import open_for


def batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``batch``: exit 0 when every line succeeded, 5 when one did not (the others ran)."""
    with open_for(args) as wb, \
            progress_display(err, quiet=args.quiet) as progress:
        result = wb.batch(args.requests, out=args.out, fmt=args.format, force=args.force,
                          accept_too_many=args.accept_too_many, bom=not args.no_bom,
                          progress=progress)
    for o in result:
        found = f"{o.total} item(s)" if o.total is not None else "-"
        print(f"line {o.line}\t{o.reference or '-'}\t{o.status.value}\t{found}\t"
              f"{o.report or '-'}", file=out)
        if o.replaced:
            print(f"note: line {o.line}: {o.report} replaced the file of that name", file=err)
    statuses = ", ".join(f"{n} {s}" for s, n in result.statuses().items() if n)
    print(f"{len(result)} request(s): {statuses}; summary in {result.summary_csv} and "
          f"{result.summary_json.name}", file=out)
    if result.succeeded:
        return EXIT_OK
    for o in result.failed:
        status = "" if o.status is Status.ERROR else f"{o.status.value}: "
        print(f"error: line {o.line} ({o.reference or 'no reference'}): {status}"
              f"{o.error or ''}", file=err)
    return EXIT_INCOMPLETE
