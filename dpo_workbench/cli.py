"""The ``dpo-workbench`` command: a thin face over the library.

Each subcommand translates arguments, calls one library function and prints the
result. Exit status: 0 success (also when nothing is found), 2 invalid criteria or
usage, 3 a configuration or database error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .errors import (
    EXIT_CHECK_FAILED,
    EXIT_CONFIG,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    InvalidCriteria,
    WorkbenchError,
    exit_status,
)


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", required=True, metavar="FILE",
                   help="the installation's settings file (the demo's is "
                        "demo-install/workbench.yaml)")
    p.add_argument("--user", default=None,
                   help="who acts, for the audit log (default: the operating system user)")


def _add_criteria(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("criteria (identity criteria combine with OR)")
    g.add_argument("--email", help="one e-mail address (any letter case)")
    g.add_argument("--phone", help="one phone number; separators are ignored")
    g.add_argument("--digits", type=str, default=None,
                   help="digits used in search, counted from the end of the number "
                        "(at least 3; default from the settings, normally 7)")
    g.add_argument("--first-name", help="first name (give the last name too)")
    g.add_argument("--last-name", help="last name (give the first name too)")
    g.add_argument("--start", help="start date, YYYY-MM-DD (inclusive)")
    g.add_argument("--end", help="end date, YYYY-MM-DD (inclusive)")


def _add_exclusions(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("selection (everything found is selected unless excluded)")
    g.add_argument("--exclude", action="append", default=[], metavar="DATABASE.TABLE#KEY",
                   help="leave this found item out (repeatable)")
    g.add_argument("--exclude-group", action="append", default=[], metavar="GROUP",
                   choices=("contacts", "directory_entries", "campaign_customers", "consents"),
                   help="leave a whole group out (repeatable)")


def _selection(result: Any, args: argparse.Namespace) -> Any:
    from .selection import RowRef, Selection

    return Selection.all(result).excluding([RowRef.parse(t) for t in args.exclude],
                                           args.exclude_group)


def _criteria_fields(args: argparse.Namespace) -> dict[str, Any]:
    return {"email": args.email, "phone": args.phone, "digits": args.digits,
            "first_name": args.first_name, "last_name": args.last_name,
            "start": args.start, "end": args.end}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dpo-workbench",
        description="Find, report and erase one person's data in a contact-centre installation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the generated demo installation")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    build = demo_sub.add_parser("build", help="generate a demo installation into a folder")
    build.add_argument("folder", nargs="?", default="demo-install",
                       help="where to write it (default: demo-install)")
    build.add_argument("--events", type=int, default=20_000,
                       help="number of contact events (default 20000)")
    build.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    build.add_argument("--database", action="append", default=[], metavar="NAME=URL",
                       help="put logical database NAME on the server at URL instead of a SQLite "
                            "file (repeatable), e.g. operative=postgresql+psycopg://u@host/db")
    build.add_argument("--max-files", type=int, default=2000,
                       help="most files per file store besides the sample subjects' (default 2000)")
    build.add_argument("--replace", action="store_true",
                       help="replace an installation already in the folder")
    build.add_argument("--no-indexes", action="store_true",
                       help="do not create the workbench's search indexes")
    build.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    demo_sub.add_parser("samples", help="list the demo's sample data subjects")

    search = sub.add_parser("search", help="find everything held about one person")
    _add_config(search)
    _add_criteria(search)
    search.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help="output format (default: table)")

    explain = sub.add_parser("explain", help="say what a search would look at, in words")
    _add_config(explain)
    _add_criteria(explain)
    explain.add_argument("--sql", action="store_true",
                         help="also print each statement and the engine's query plan")

    details = sub.add_parser("details", help="show everything about one found item")
    _add_config(details)
    details.add_argument("ref", help="DATABASE.TABLE#KEY, as the search output's _database, "
                                     "_table and _key")

    indexes = sub.add_parser("indexes", help="print (or create) the indexes that make search fast")
    _add_config(indexes)
    action = indexes.add_mutually_exclusive_group()
    action.add_argument("--apply", action="store_true", help="create the missing indexes")
    action.add_argument("--drop", action="store_true", help="remove the workbench's indexes")
    action.add_argument("--status", action="store_true", help="say which indexes exist")

    rep = sub.add_parser("report", help="write everything about the found items to a file")
    _add_config(rep)
    _add_criteria(rep)
    _add_exclusions(rep)
    rep.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    from .report.formats import DEFAULT_FORMAT, FORMATS, REGISTRY

    rep.add_argument("--format", choices=FORMATS, default=None,
                     help=", ".join(f"{f.name} ({f.description})" for f in REGISTRY.values())
                     + f"; default: from --out's extension, else {DEFAULT_FORMAT}")
    rep.add_argument("--no-bom", action="store_true",
                     help="write the CSV without the UTF-8 byte-order mark")

    erase = sub.add_parser(
        "erase", help="erase everything about the found items (plan first, then confirm)",
        description="Without --confirm, prints the erasure plan (a dry run) and its token. "
                    "Run again with --confirm TOKEN to execute exactly that plan.")
    _add_config(erase)
    _add_criteria(erase)
    _add_exclusions(erase)
    mode = erase.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true", help="only show the plan (the default)")
    mode.add_argument("--confirm", metavar="TOKEN", help="execute the plan with this token")
    mode.add_argument("--resume", metavar="RUN_ID",
                      help="complete an interrupted run (criteria, if given, verify it)")
    mode.add_argument("--status", action="store_true", help="list unfinished erasure runs")

    from . import audit_cli

    audit_cli.register(sub)

    check = sub.add_parser("check", help="check the settings, the datamap and the databases")
    _add_config(check)
    return parser


# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    try:
        return _dispatch(args, out, err)
    except InvalidCriteria as exc:
        for problem in exc.problems.values():
            print(f"error: {problem}", file=err)
        return exit_status(exc)
    except KeyboardInterrupt as exc:
        print("interrupted", file=err)
        return exit_status(exc)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except WorkbenchError as exc:
        print(f"error: {exc}", file=err)
        return exit_status(exc)


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "demo":
        return _demo(args, out, err)
    if args.command == "audit":
        from . import audit_cli

        return audit_cli.run(args, out, err)
    from .workbench import open_workbench

    if args.command == "search":
        with open_workbench(args.config, user=args.user) as wb:
            criteria = wb.criteria(**_criteria_fields(args))
            result = wb.search(criteria)
        return _print_result(result, args.format, out, err)
    if args.command == "explain":
        with open_workbench(args.config, user=args.user) as wb:
            criteria = wb.criteria(**_criteria_fields(args))
            plan = wb.plan(criteria)
            print(plan.explain(), file=out)
            if args.sql:
                engine_plans = wb.engine_plans(criteria)
                for q in plan.queries:
                    print(f"\n-- {q.spec.location} ({q.dialect})\n{q.sql()}", file=out)
                    print(f"-- engine plan:\n{engine_plans[q.spec.id]}", file=out)
        return EXIT_OK
    if args.command == "details":

        with open_workbench(args.config, user=args.user) as wb:
            print(wb.details(args.ref).as_text(), file=out)
        return EXIT_OK
    if args.command == "indexes":
        return _indexes(args, out)
    if args.command == "erase":
        return _erase(args, out, err)
    if args.command == "report":
        return _report(args, out, err)
    if args.command == "check":
        with open_workbench(args.config, user=args.user) as wb:
            n = len(wb.installation.engines)
            print(f"{wb.settings.name}: settings, datamap and {n} database(s) OK", file=out)
            for status in wb.index_status():
                if not status.exists:
                    print(f"note: index {status.index.name} is missing in "
                          f"{status.index.database}; run `dpo-workbench indexes --apply` to make "
                          "searches fast", file=out)
        return EXIT_OK
    raise AssertionError(args.command)  # argparse rejects unknown commands


def _print_result(result: Any, fmt: str, out: TextIO, err: TextIO) -> int:
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
                print(df.drop(columns=["_copies"]).to_string(index=False, max_rows=50), file=out)
    print(f"\n{result.total} item(s) in {result.elapsed * 1000:.0f} ms", file=out)
    if result.too_many:
        print(f"note: more than {result.too_many_threshold} items were found; consider narrowing "
              "the criteria (for example a shorter time span).", file=err)
    return EXIT_OK


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import format_for
    from .workbench import open_workbench

    fmt = format_for(args.out, args.format)  # a wrong format fails before any search
    with open_workbench(args.config, user=args.user) as wb:
        criteria = wb.criteria(**_criteria_fields(args))
        selection = _selection(wb.search(criteria), args)
        report = wb.report(selection, criteria=criteria, out=Path(args.out), fmt=fmt,
                           bom=not args.no_bom)
    print(f"{report.total} item(s) written to {args.out}", file=out)
    if report.missing_count:
        print(f"note: {report.missing_count} selected item(s) no longer exist", file=err)
    return EXIT_OK


def _erase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .criteria import Criteria
    from .erasure.verify import summarize
    from .errors import ErasureIncomplete
    from .workbench import open_workbench

    fields = _criteria_fields(args)
    given = Criteria.given(fields)
    with open_workbench(args.config, user=args.user) as wb:
        if args.status:
            runs = wb.journal.unfinished()
            print("\n".join(r.story() for r in runs) or "no unfinished erasure runs", file=out)
            return EXIT_OK
        criteria = wb.criteria(**fields) if given or not args.resume else None
        try:
            if args.resume:
                receipt = wb.resume_erasure(args.resume, criteria=criteria)
            else:
                for run in wb.journal.unfinished():
                    print(f"warning: an earlier erasure did not finish:\n{run.story()}", file=err)
                result = wb.search(criteria)
                plan = wb.plan_erasure(_selection(result, args), criteria=criteria)
                if not args.confirm:
                    print(plan.describe(), file=out)
                    if plan.targets:
                        print(f"\nNothing has been changed. To execute exactly this plan, run the "
                              f"same command with --confirm {plan.token}", file=out)
                    return EXIT_OK
                receipt = wb.erase(plan, args.confirm, criteria=criteria)
        except ErasureIncomplete as exc:
            print(f"error: {exc}", file=err)
            return EXIT_INCOMPLETE
        print(summarize(receipt), file=out)
        return EXIT_OK if receipt["verified"] else EXIT_CHECK_FAILED


def _indexes(args: argparse.Namespace, out: TextIO) -> int:
    from .workbench import open_workbench

    with open_workbench(args.config, user=args.user) as wb:
        if args.apply:
            built = wb.create_indexes(
                progress=lambda idx, took: print(f"created {idx.database}.{idx.name} in "
                                                 f"{took:.1f} s", file=out, flush=True))
            print(f"{len(built)} index(es) created", file=out)
        elif args.drop:
            print(f"{wb.drop_indexes()} index(es) removed", file=out)
        elif args.status:
            for status in wb.index_status():
                state = "present" if status.exists else "missing"
                print(f"{status.index.database}.{status.index.table}: {status.index.name} "
                      f"({status.index.kind}) {state}", file=out)
        else:
            for idx in wb.index_definitions():
                print(f"-- {idx.database}: {idx.kind} match on {idx.table}"
                      f"({', '.join(idx.columns)})\n{idx.sql}\n", file=out)
    return EXIT_OK


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .demo.samples import SAMPLES

    if args.demo_command == "samples":
        for s in SAMPLES:
            print(f"{s.first_name} {s.last_name} ({s.country}): phone {s.phone}, "
                  f"e-mail {s.email}", file=out)
            for note in s.notes:
                print(f"    {note}", file=out)
        return EXIT_OK
    from .demo.build import build_demo

    urls = {}
    for item in args.database:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            print(f"error: --database takes NAME=URL, e.g. operative=postgresql+psycopg://"
                  f"user@host/db (got {item.split('=')[0]!r}...)", file=err)
            return EXIT_USAGE
        urls[name] = url

    def progress(stage: str, done: int, total: int) -> None:
        if not args.quiet:
            pct = f" {100 * done // total:3d}%" if total else ""
            print(f"\r{stage:<48}{pct}", end="", file=err, flush=True)

    try:
        settings_path = build_demo(Path(args.folder), events=args.events, seed=args.seed,
                                   urls=urls, max_files=args.max_files, progress=progress,
                                   replace=args.replace)
    except FileExistsError as exc:
        print(f"\nerror: {exc}", file=err)
        return EXIT_CONFIG
    except ValueError as exc:
        print(f"\nerror: {exc}", file=err)
        return EXIT_USAGE
    if not args.quiet:
        print("", file=err)
    if not args.no_indexes:
        from .workbench import open_workbench

        with open_workbench(settings_path) as wb:
            wb.create_indexes()
    print(f"Demo installation written: settings file {settings_path}", file=out)
    print(f"Try: dpo-workbench search --config {settings_path} --phone '+358 40 123 4567'",
          file=out)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
