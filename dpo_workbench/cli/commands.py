"""The commands that work on an installation: each translates its arguments, calls the
library and prints the result. No rule, no SQL and no key parsing lives here.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..console import started
from ..criteria import FIELDS
from ..errors import EXIT_OK
from ..search import SearchResult
from ..selection import RowRef, Selection
from ..workbench import Workbench, open_workbench
from .emit import STDOUT, emit_json, stdout_target

if TYPE_CHECKING:
    from ..report.model import Report


def criteria_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The criteria options as given (None where not given)."""
    return {name: getattr(args, name) for name in FIELDS}


def selection_of(result: SearchResult, args: argparse.Namespace) -> Selection:
    """Everything found, less ``--exclude`` and ``--exclude-group``."""
    return Selection.all(result).excluding([RowRef.parse(t) for t in args.exclude],
                                           args.exclude_group)


def open_for(args: argparse.Namespace, **options: Any) -> Workbench:
    """The workbench of ``--config`` acting as ``--user`` (``options``: of
    :func:`open_workbench`); the process's start is then over (:func:`.console.started`)."""
    wb = open_workbench(args.config, user=args.user, **options)
    started()
    return wb


def _open(args: argparse.Namespace) -> Workbench:
    return open_for(args, audit_ahead=True)


def search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``search``: find everything held about one person."""
    # A database holding only lookups (agents' names, queues) is not read by a search,
    # nor by its identity hints (child rows live in their parent's database).
    with open_for(args, audit_ahead=True, searched_only=True) as wb:
        result = wb.search(wb.criteria(**criteria_fields(args)))
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
    from . import documents  # the JSON documents of the commands other than search

    with _open(args) as wb:
        criteria = wb.criteria(**criteria_fields(args))
        plan = wb.plan(criteria)
        engine_plans = wb.engine_plans(criteria) if args.sql else None
    if args.format == "json":
        emit_json(documents.explain_document(plan, engine_plans), out)
        return EXIT_OK
    print(plan.explain(), file=out)
    if engine_plans is not None:
        for q in plan.queries:
            print(f"\n-- {q.spec.location} ({q.dialect})\n{q.sql()}", file=out)
            print(f"-- engine plan:\n{engine_plans[q.spec.id]}", file=out)
    return EXIT_OK


def details(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``details``: everything about one found item."""
    from . import documents  # the JSON documents of the commands other than search

    with _open(args) as wb:
        item = wb.details(args.ref)
    if args.format == "json":
        emit_json(documents.details_document(item), out)
    else:
        print(item.as_text(), file=out)
    return EXIT_OK


def check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``check``: the settings, the datamap and the databases."""
    from . import documents  # the JSON documents of the commands other than search

    with _open(args) as wb:
        databases = list(wb.installation.engines)
        states = wb.index_status()
        obsolete = wb.obsolete_indexes()
        shortfalls = wb.cache_shortfalls()
        name, tables = wb.settings.name, len(wb.datamap.tables)
    notes = [f"index {s.index.name} is missing in {s.index.database}; run `dpo-workbench "
             "indexes --apply` to make searches fast" for s in states if not s.exists]
    notes += [f"{old.database}.{old.table}: {old.name} belongs to an older match rule; "
              "`dpo-workbench indexes --apply` replaces it" for old in obsolete]
    notes += [shortfall.note() for shortfall in shortfalls]
    if args.format == "json":
        emit_json(documents.check_document(name, databases, tables, states, obsolete, notes),
                  out)
        return EXIT_OK
    print(f"{name}: settings, datamap and {len(databases)} database(s) OK", file=out)
    for note in notes:
        print(f"note: {note}", file=out)
    return EXIT_OK


def _print_result(result: SearchResult, fmt: str, out: TextIO, err: TextIO) -> int:
    if result.not_restricted_by_dates:
        print("note: the date span does not restrict "
              f"{', '.join(result.not_restricted_by_dates)} (no time column): their items are "
              "found whatever their date.", file=err)
    if fmt == "json":
        emit_json(result.to_dict(), out)
        return EXIT_OK
    if fmt == "csv":
        import csv

        writer = csv.writer(out)
        writer.writerow(["group", "database", "table", "key", "matched", "summary"])
        for group, rows in result.records.items():  # the rows themselves: no pandas
            for rec in rows:
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
              "the criteria (for example a shorter time span). No identity hints are collected "
              "for so many items.", file=err)
    return EXIT_OK


def report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``report``: write everything about the found items to a file (or standard output)."""
    from ..report import REGISTRY, format_for
    from ..report.output import check_folder

    # A wrong format, extension, folder or standard output fails before any search.
    to_stdout = args.out == STDOUT
    fmt = format_for("" if to_stdout else args.out, args.format)
    if to_stdout:
        target: Any = stdout_target(out, fmt, REGISTRY[fmt].binary)
    else:
        check_folder(args.out)
        target = Path(args.out)
    with _open(args) as wb:
        criteria = wb.criteria(**criteria_fields(args))
        selection = selection_of(wb.search(criteria), args)
        from ..progress import progress_display

        with progress_display(err, quiet=args.quiet) as progress:  # item by item
            report = wb.report(selection, criteria=criteria, out=target, fmt=fmt,
                               bom=not args.no_bom, progress=progress,
                               subject_copy=args.subject_copy)
    if to_stdout:
        target.flush()
    # With --out -, standard output holds the report: the summary goes to standard error.
    where = "standard output" if to_stdout else args.out
    said = err if to_stdout else out
    for line in where_lines(report):
        print(line, file=said)
    copy = " (the data subject's copy: third parties redacted)" if report.subject else ""
    print(f"{report.total} item(s) written to {where}{copy}", file=said)
    if report.missing_count:
        print(f"note: {report.missing_count} selected item(s) no longer exist", file=err)
    return EXIT_OK


def where_lines(report: Report) -> list[str]:
    """Where the person's data lives, a line per table: its label, then its location."""
    from ..datamap import Group
    from ..report.labels import with_name

    lines = []
    for w in report.where():
        counts = [f"{n} {word}" for n, word in ((w.items, "item(s)"),
                                               (w.copies, "copy(ies) of items"))
                  if n]
        lines.append(f"  {Group(w.group).title}: {with_name(w.label, w.location)}: "
                     + ", ".join(counts))
    return lines


def indexes(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``indexes``: print the DDL, or ``--apply``, ``--drop`` or ``--status`` the indexes."""
    from . import documents  # the JSON documents of the commands other than search

    as_json = args.format == "json"
    with _open(args) as wb:
        if args.apply:
            from ..progress import progress_display

            with progress_display(err) as progress:  # per index, with rate and time left
                built = wb.create_indexes(progress=progress)
            if as_json:
                emit_json(documents.indexes_created(built), out)
            else:
                for idx, took in built:
                    print(f"created {idx.database}.{idx.name} in {took:.1f} s", file=out)
                print(f"{len(built)} index(es) created", file=out)
        elif args.drop:
            removed = wb.drop_indexes()
            if as_json:
                emit_json({"removed": removed}, out)
            else:
                print(f"{removed} index(es) removed", file=out)
        elif args.status:
            states, obsolete = wb.index_status(), wb.obsolete_indexes()
            if as_json:
                emit_json(documents.index_status(states, obsolete), out)
                return EXIT_OK
            for status in states:
                state = "present" if status.exists else "missing"
                print(f"{status.index.database}.{status.index.table}: {status.index.name} "
                      f"({status.index.kind}) {state}", file=out)
            for old in obsolete:
                print(f"{old.database}.{old.table}: {old.name} obsolete (an older match "
                      "rule; --apply replaces it)", file=out)
        elif as_json:
            emit_json(documents.index_definitions(wb.index_definitions()), out)
        else:
            for idx in wb.index_definitions():
                print(f"-- {idx.database}: {idx.kind} match on {idx.table}"
                      f"({', '.join(idx.columns)})\n{idx.sql}\n", file=out)
    return EXIT_OK
