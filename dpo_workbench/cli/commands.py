"""The commands that work on an installation: each translates its arguments, calls the
library and prints the result. No rule, no SQL and no key parsing lives here.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from ..criteria import FIELDS, Criteria
from ..erasure.plan import ErasurePlan
from ..errors import (
    EXIT_CHECK_FAILED,
    EXIT_INCOMPLETE,
    EXIT_OK,
    ConfirmationError,
    ErasureIncomplete,
    PlanChanged,
)
from ..search import SearchResult
from ..selection import RowRef, Selection
from ..workbench import Workbench, open_workbench


def _criteria_fields(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in FIELDS}


def _selection(result: SearchResult, args: argparse.Namespace) -> Selection:
    return Selection.all(result).excluding([RowRef.parse(t) for t in args.exclude],
                                           args.exclude_group)


def _open(args: argparse.Namespace) -> Workbench:
    return open_workbench(args.config, user=args.user)


def search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``search``: find everything held about one person."""
    with _open(args) as wb:
        result = wb.search(wb.criteria(**_criteria_fields(args)))
        if args.hints:
            result = replace(result, hints=tuple(wb.identity_hints(result)))
    status = _print_result(result, args.format, out, err)
    if args.format == "table" and result.hints:
        print("\nOther identifiers in the found items (add them to the search if they are the "
              "person's):", file=out)
        for h in result.hints:
            print(f"  {h.kind} {h.value}: {', '.join(h.places)}", file=out)
    return status


def explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``explain``: what a search would look at, in words (and SQL)."""
    with _open(args) as wb:
        criteria = wb.criteria(**_criteria_fields(args))
        plan = wb.plan(criteria)
        print(plan.explain(), file=out)
        if args.sql:
            engine_plans = wb.engine_plans(criteria)
            for q in plan.queries:
                print(f"\n-- {q.spec.location} ({q.dialect})\n{q.sql()}", file=out)
                print(f"-- engine plan:\n{engine_plans[q.spec.id]}", file=out)
    return EXIT_OK


def details(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``details``: everything about one found item."""
    with _open(args) as wb:
        print(wb.details(args.ref).as_text(), file=out)
    return EXIT_OK


def check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``check``: the settings, the datamap and the databases."""
    with _open(args) as wb:
        n = len(wb.installation.engines)
        print(f"{wb.settings.name}: settings, datamap and {n} database(s) OK", file=out)
        for status in wb.index_status():
            if not status.exists:
                print(f"note: index {status.index.name} is missing in "
                      f"{status.index.database}; run `dpo-workbench indexes --apply` to make "
                      "searches fast", file=out)
        for old in wb.obsolete_indexes():
            print(f"note: {old.database}.{old.table}: {old.name} belongs to an older match "
                  "rule; `dpo-workbench indexes --apply` replaces it", file=out)
    return EXIT_OK


def _print_result(result: SearchResult, fmt: str, out: TextIO, err: TextIO) -> int:
    if result.not_restricted_by_dates:
        print("note: the date span does not restrict "
              f"{', '.join(result.not_restricted_by_dates)} (no time column): their items are "
              "found whatever their date.", file=err)
    if fmt == "json":
        json.dump(result.to_dict(), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return EXIT_OK
    if fmt == "csv":
        import csv

        writer = csv.writer(out)
        writer.writerow(["group", "database", "table", "key", "matched", "summary"])
        for group, df in result.groups.items():
            for rec in df.to_dict(orient="records"):
                summary = "; ".join(f"{k}={v}" for k, v in rec.items()
                                    if not k.startswith("_") and v is not None and v == v)
                writer.writerow([group.value, rec["_database"], rec["_table"], rec["_key"],
                                 rec["_matched"], summary])
        return EXIT_OK
    import pandas as pd

    with pd.option_context("display.max_columns", 12, "display.width", 160,
                           "display.max_colwidth", 40):
        for group, df in result.groups.items():
            print(f"\n{group.title}: {len(df)}", file=out)
            if len(df):
                shown = df.drop(columns=["_copies", "_match_kind", "_match_column",
                                         "_span_applied"])
                print(shown.to_string(index=False, max_rows=50, na_rep=""), file=out)
    print(f"\n{result.total} item(s) in {result.elapsed * 1000:.0f} ms", file=out)
    if result.too_many:
        print(f"note: more than {result.too_many_threshold} items were found; consider narrowing "
              "the criteria (for example a shorter time span).", file=err)
    return EXIT_OK


def report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..report import format_for

    fmt = format_for(args.out, args.format)  # a wrong format fails before any search
    with _open(args) as wb:
        criteria = wb.criteria(**_criteria_fields(args))
        selection = _selection(wb.search(criteria), args)
        report = wb.report(selection, criteria=criteria, out=Path(args.out), fmt=fmt,
                           bom=not args.no_bom)
    print(f"{report.total} item(s) written to {args.out}", file=out)
    if report.missing_count:
        print(f"note: {report.missing_count} selected item(s) no longer exist", file=err)
    return EXIT_OK


def erase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``erase``: plan (dry run), ``--confirm`` a token, ``--resume`` or ``--status`` runs."""
    from ..erasure.journal import open_journal
    from ..erasure.verify import summarize
    from ..settings import load_settings

    if args.status:
        stories = open_journal(load_settings(args.config)).stories()
        print("\n".join(s for _, s in stories) or "no unfinished erasure runs", file=out)
        return EXIT_OK
    fields = _criteria_fields(args)
    databases = None
    if args.resume:
        # Only the run's databases: another one may be down meanwhile.
        databases = open_journal(load_settings(args.config)).load(args.resume).plan.databases
    with open_workbench(args.config, user=args.user, databases=databases) as wb:
        criteria = wb.criteria(**fields) if Criteria.given(fields) or not args.resume else None
        try:
            if args.resume:
                receipt = wb.resume_erasure(args.resume, criteria=criteria)
            else:
                for _, story in wb.journal.stories():
                    print(f"warning: an earlier erasure did not finish:\n{story}", file=err)
                plan = wb.plan_erasure(_selection(wb.search(criteria), args), criteria=criteria)
                if not args.confirm:
                    _print_plan(plan, out)
                    return EXIT_OK
                try:
                    receipt = wb.erase(plan, args.confirm, criteria=criteria)
                except PlanChanged as exc:
                    _print_plan(exc.plan, out)  # the plan of the data now, with its token
                    raise
                except ConfirmationError:
                    _print_plan(plan, out)
                    raise
        except ErasureIncomplete as exc:
            print(f"error: {exc}", file=err)
            return EXIT_INCOMPLETE
        print(summarize(receipt), file=out)
        return EXIT_OK if receipt["verified"] else EXIT_CHECK_FAILED


def _print_plan(plan: ErasurePlan, out: TextIO) -> None:
    print(plan.describe(), file=out)
    if plan.targets:
        print(f"\nNothing has been changed. To execute exactly this plan, run the same command "
              f"with --confirm {plan.token}", file=out)


def indexes(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as wb:
        if args.apply:
            from ..progress import progress_display

            with progress_display(err) as progress:  # per index, with rate and time left
                built = wb.create_indexes(progress=progress)
            for idx, took in built:
                print(f"created {idx.database}.{idx.name} in {took:.1f} s", file=out)
            print(f"{len(built)} index(es) created", file=out)
        elif args.drop:
            print(f"{wb.drop_indexes()} index(es) removed", file=out)
        elif args.status:
            for status in wb.index_status():
                state = "present" if status.exists else "missing"
                print(f"{status.index.database}.{status.index.table}: {status.index.name} "
                      f"({status.index.kind}) {state}", file=out)
            for old in wb.obsolete_indexes():
                print(f"{old.database}.{old.table}: {old.name} obsolete (an older match "
                      "rule; --apply replaces it)", file=out)
        else:
            for idx in wb.index_definitions():
                print(f"-- {idx.database}: {idx.kind} match on {idx.table}"
                      f"({', '.join(idx.columns)})\n{idx.sql}\n", file=out)
    return EXIT_OK
