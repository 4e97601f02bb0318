"""``dpo-workbench verify``: an erasure run verified again, the deep sweep, its redaction.

``--run RUN_ID`` verifies that run again now (its stored receipt stays as it is);
``--deep`` sweeps every text of every table and file store for the criteria's
identifiers; ``--redact`` plans replacing only those identifiers (a dry run with a
token) and ``--confirm TOKEN`` executes exactly that plan. Exit status 4 while any
mention remains.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..criteria import Criteria
from ..errors import EXIT_CHECK_FAILED, EXIT_OK, ConfirmationError, UsageError
from ..progress import Progress
from ..selection import RowRef
from ..workbench import Workbench
from .commands import criteria_fields, open_for
from .emit import emit_json


def _open(args: argparse.Namespace) -> Workbench:
    return open_for(args, audit_ahead=True)


def _progress(err: TextIO) -> Progress:
    def show(message: str, done: int, total: int) -> None:
        print(f"  [{done}/{total}] {message}", file=err, flush=True)
    return show


def verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``verify``: a run again (``--run``), the deep sweep (``--deep``), its redaction."""
    from ..erasure.verify import summarize

    if not (args.run or args.deep):
        raise UsageError("Give --run RUN_ID to verify an erasure again, and/or --deep with "
                         "criteria to sweep for the person's remaining mentions.")
    if args.redact and not args.deep or (args.confirm or args.exclude) and not args.redact:
        raise UsageError("--redact goes with --deep; --confirm and --exclude with --redact.")
    fields = criteria_fields(args)
    report: dict[str, Any] = {}
    with _open(args) as wb:
        criteria = wb.criteria(**fields) if Criteria.given(fields) or args.deep else None
        if args.run:
            receipt = wb.sweeps.verify_again(args.run, criteria, deep=args.deep,
                                             progress=_progress(err))
            report["receipt"] = receipt
            found: list[Any] = [*receipt.get("sweep", {}).get("in_erased_rows", []),
                                *receipt.get("sweep", {}).get("elsewhere", [])]
            text = summarize(receipt)
            ok = receipt["verified"] and not found
        else:
            result = wb.deep_sweep(criteria, progress=_progress(err))
            report["sweep"] = result.json()
            found = [*result.mentions, *result.files]
            text = "\n".join(result.lines())
            ok = not result.total and not result.not_swept
        if args.redact and criteria is not None:
            left_out = {str(RowRef.parse(t)) for t in args.exclude}
            chosen = [m for m in found if _row(m) not in left_out]
            plan = wb.redact_mentions(chosen, criteria, run_id=args.run)
            text += "\n\n" + plan.describe()
            report["redaction_plan"] = {"token": plan.token, "values": len(plan.targets),
                                        "not_redactable": [list(r) for r in plan.refused]}
            if not args.confirm:
                if plan.targets:
                    text += (f"\n\nNothing has been changed. To execute exactly this plan, run "
                             f"the same command with --confirm {plan.token}")
            else:
                try:
                    done = wb.redact(plan, args.confirm)
                except ConfirmationError:
                    print(text, file=out)
                    raise
                report["redaction"] = done
                text += (f"\n\nRedacted {done['redacted']} value(s); "
                         f"{done['left_alone_changed']} changed since the plan, left alone: "
                         f"{'verified' if done['verified'] else 'NOT verified'}")
                text += "".join(f"\n  PROBLEM: {p}" for p in done["problems"])
                ok = done["verified"] and done["redacted"] == len(found)
    if args.format == "json":
        emit_json(report, out)
    else:
        print(text, file=out)
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _row(m: Any) -> str:
    """``database.table#key`` of a mention (an object or a receipt's entry); "" for a file."""
    from ..sweep.model import Mention

    if isinstance(m, Mention):
        return m.row
    return Mention.from_json(m).row if isinstance(m, dict) and "table" in m else ""
