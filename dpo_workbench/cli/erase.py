"""``dpo-workbench erase``: the plan (a dry run) and its token, ``--confirm``, ``--resume``,
``--status``.

With ``--format json`` every outcome is one document on standard output (see
:mod:`.documents`): ``{"plan": ...}`` (no --confirm, or a refused token: exit 6),
``{"receipt": ...}`` (exit 0, or 4 when not verified), ``{"incomplete": ...}``
(exit 5) and ``{"runs": [...]}`` (--status). A script takes the token from
``.plan.token``.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..criteria import Criteria
from ..erasure.plan import ErasurePlan
from ..errors import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    ConfirmationError,
    ErasureIncomplete,
    JournalTampered,
    PlanChanged,
    exit_status,
)
from ..progress import progress_display
from . import erasedocs
from .commands import criteria_fields, open_for, selection_of
from .emit import emit_json


def erase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``erase``: plan (dry run), ``--confirm`` a token, ``--resume`` or ``--status`` runs."""
    from ..erasure.journal import open_journal
    from ..erasure.verify import summarize
    from ..settings import load_settings

    as_json = args.format == "json"
    if args.status:
        _print_runs(open_journal(load_settings(args.config)), as_json, out)
        return EXIT_OK
    fields = criteria_fields(args)
    databases = None
    if args.resume:
        # Only the run's databases: another one may be down meanwhile.
        databases = open_journal(load_settings(args.config)).load(args.resume).plan.databases
    with open_for(args, databases=databases) as wb:
        criteria = wb.criteria(**fields) if Criteria.given(fields) or not args.resume else None
        try:
            if args.resume:
                with progress_display(err, quiet=args.quiet) as progress:
                    receipt = wb.resume_erasure(args.resume, criteria=criteria,
                                                progress=progress)
            else:
                unfinished = wb.journal.stories()
                for _, story in unfinished:
                    print(f"warning: an earlier erasure did not finish:\n{story}", file=err)
                plan = wb.plan_erasure(selection_of(wb.search(criteria), args), criteria=criteria)
                runs = [run_id for run_id, _ in unfinished]
                if not args.confirm:
                    _print_plan(plan, runs, as_json, out)
                    return EXIT_OK
                try:
                    with progress_display(err, quiet=args.quiet) as progress:
                        receipt = wb.erase(plan, args.confirm, criteria=criteria,
                                           progress=progress)
                except PlanChanged as exc:
                    # The plan of the data now, with its token.
                    _print_plan(exc.plan, runs, as_json, out)  # type: ignore[arg-type]
                    raise
                except ConfirmationError:
                    _print_plan(plan, runs, as_json, out)
                    raise
        except ErasureIncomplete as exc:
            print(f"error: {exc}", file=err)
            if as_json:
                emit_json({"incomplete": erasedocs.run_document(exc.run)}, out)
            return exit_status(exc)
    if as_json:
        emit_json({"receipt": receipt}, out)
    else:
        print(summarize(receipt), file=out)
    return EXIT_OK if receipt["verified"] else EXIT_CHECK_FAILED


def _print_plan(plan: ErasurePlan, unfinished: list[str], as_json: bool, out: TextIO) -> None:
    if as_json:
        emit_json(erasedocs.plan_document(plan, unfinished), out)
        return
    print(plan.describe(), file=out)
    if plan.targets:
        print(f"\nNothing has been changed. To execute exactly this plan, run the same command "
              f"with --confirm {plan.token}", file=out)


def _print_runs(journal: Any, as_json: bool, out: TextIO) -> None:
    """The unfinished runs: their stories, or a document (a tampered run said as such)."""
    if not as_json:
        print("\n".join(s for _, s in journal.stories()) or "no unfinished erasure runs",
              file=out)
        return
    runs = []
    for run_id in journal.unfinished_ids():
        try:
            runs.append(erasedocs.run_document(journal.load(run_id)))
        except JournalTampered as exc:
            runs.append(erasedocs.tampered_run_document(run_id, f"Erasure run {run_id}: {exc}"))
    emit_json({"runs": runs}, out)
