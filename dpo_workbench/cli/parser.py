"""The command line's arguments: one ``argparse`` parser, every command and option.

The README's command-line reference documents exactly these (a test walks the
parser and the README both ways).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence

from ..criteria import FIELDS
from ..datamap.model import Group
from ..settings import CONFIG_ENV

_CRITERIA_HELP = {
    "email": "one e-mail address (any letter case)",
    "phone": "one phone number; separators are ignored",
    "first_name": "first name (give the last name too)",
    "last_name": "last name (give the first name too)",
    "start": "start date, YYYY-MM-DD (inclusive)",
    "end": "end date, YYYY-MM-DD (inclusive)",
    "digits": "digits used in search, counted from the end of the number (at least 3; "
              "default from the settings, normally 7)",
}


def add_config(p: argparse.ArgumentParser, *, user: bool = True) -> None:
    """``--config`` (default: ``$DPO_WORKBENCH_CONFIG``) and ``--user``."""
    default = os.environ.get(CONFIG_ENV) or None
    p.add_argument("--config", "-c", required=default is None, default=default, metavar="FILE",
                   help="the installation's settings file (default: $DPO_WORKBENCH_CONFIG; "
                        "the demo's is demo-install/workbench.yaml)")
    if user:
        p.add_argument("--user", default=None,
                       help="who acts, for the audit log (default: the operating system user)")


#: What ``--format`` takes wherever a command prints (search and report have their own).
OUTPUT_FORMATS = ("text", "json")


def add_format(p: argparse.ArgumentParser) -> None:
    """``--format {text,json}``: words for people, or one JSON document for scripts."""
    p.add_argument("--format", choices=OUTPUT_FORMATS, default="text",
                   help="text (default) for people, or json: one JSON document on standard "
                        "output for scripts (keys in docs/schema/cli-output.schema.json)")


def _add_criteria(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("criteria (identity criteria combine with OR)")
    for name in FIELDS:
        g.add_argument(f"--{name.replace('_', '-')}", default=None, help=_CRITERIA_HELP[name])


def _add_exclusions(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("selection (everything found is selected unless excluded)")
    g.add_argument("--exclude", action="append", default=[], metavar="DATABASE.TABLE#KEY",
                   help="leave this found item out (repeatable)")
    g.add_argument("--exclude-group", action="append", default=[], metavar="GROUP",
                   choices=[g.value for g in Group], help="leave a whole group out (repeatable)")


def _demo(demo: argparse.ArgumentParser) -> None:
    demo_sub = demo.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    build = demo_sub.add_parser("build", help="generate a demo installation into a folder")
    build.add_argument("folder", nargs="?", default="demo-install",
                       help="where to write it (default: demo-install)")
    build.add_argument("--events", type=int, default=20_000,
                       help="number of contact events (default 20000)")
    build.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    build.add_argument("--database", action="append", default=[], metavar="NAME=URL",
                       help="put logical database NAME on the server at URL instead of a SQLite "
                            "file (repeatable), e.g. operative=postgresql+psycopg2://u@host/db "
                            "(psycopg2; postgresql+psycopg:// for psycopg 3)")
    build.add_argument("--max-files", type=int, default=2000,
                       help="most files per file store besides the sample subjects' (default 2000)")
    build.add_argument("--replace", action="store_true",
                       help="replace an installation already in the folder")
    build.add_argument("--no-indexes", action="store_true",
                       help="do not create the workbench's search indexes")
    build.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    samples = demo_sub.add_parser("samples", help="list the demo's sample data subjects")
    add_format(samples)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_audit(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``audit`` command: ``list`` and ``verify`` (they need only the state database)."""
    help_text, description, _ = COMMAND_ARGUMENTS["audit"]
    audit = sub.add_parser("audit", help=help_text, description=description)
    _audit(audit)
    return audit


def _audit(audit: argparse.ArgumentParser) -> None:
    from ..audit import Action

    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    lst = actions.add_parser("list", help="show the audit log, oldest event first")
    add_config(lst, user=False)
    lst.add_argument("--action", choices=[a.value for a in Action], metavar="ACTION",
                     help="only this action (" + ", ".join(a.value for a in Action) + ")")
    # Everywhere else --user says who acts; here the filter is --by (--user stays as its
    # old spelling, with a warning, so that scripts keep working).
    lst.add_argument("--by", metavar="NAME", help="only events of this workbench user")
    lst.add_argument("--user", dest="user_filter", metavar="NAME",
                     help="the old spelling of --by (prints a warning)")
    lst.add_argument("--reference", metavar="REF", help="only events of this request reference")
    lst.add_argument("--limit", type=_positive, metavar="N", help="only the newest N events")
    add_format(lst)
    verify = actions.add_parser(
        "verify", help="check that no event was edited or deleted (exit status 4 if so)")
    add_config(verify, user=False)
    add_format(verify)


def _datamap(datamap: argparse.ArgumentParser) -> None:
    """``datamap draft``: a datamap drafted from the live schema, for review."""
    actions = datamap.add_subparsers(dest="datamap_command", required=True, metavar="ACTION")
    draft = actions.add_parser("draft", help="write a draft datamap, every guess with a "
                                             "'# review:' note")
    add_config(draft, user=False)
    draft.add_argument("--out", metavar="FILE", help="write the draft to FILE (default, or "
                                                     "'-': standard output)")
    draft.add_argument("--force", action="store_true", help="replace FILE if it exists")
    draft.add_argument("--format", choices=("yaml",), default="yaml",
                       help="output format (default: yaml)")


def _verify(verify: argparse.ArgumentParser) -> None:
    add_config(verify)
    _add_criteria(verify)
    verify.add_argument("--run", metavar="RUN_ID",
                        help="verify this erasure run again; with --deep, mentions in the rows "
                             "it erased are problems")
    verify.add_argument("--deep", action="store_true",
                        help="sweep every database and file store for the criteria's identifiers")
    verify.add_argument("--redact", action="store_true",
                        help="with --deep: plan the mention-only redaction of the mentions found")
    verify.add_argument("--confirm", metavar="TOKEN",
                        help="with --redact: execute the redaction plan that has this token")
    verify.add_argument("--exclude", action="append", default=[], metavar="DATABASE.TABLE#KEY",
                        help="with --redact: leave this row's mentions as they are (repeatable)")
    add_format(verify)


def _add_quiet(p: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress on standard error (a bar on a terminal, else plain lines)."""
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress output (by default on standard error: a bar with rate and "
                        "time left on a terminal, plain lines otherwise)")


def _add_reference(p: argparse.ArgumentParser) -> None:
    """``--reference``: the request's reference, on the commands that work on one request."""
    p.add_argument("--reference", metavar="REF", dest="request_reference",
                   help="the request's reference (your case number), recorded in every audit "
                        "event of this command; no e-mail addresses")


def _batch(batch: argparse.ArgumentParser) -> None:
    from ..report.formats import DEFAULT_FORMAT, FORMATS

    add_config(batch)
    batch.add_argument("requests", metavar="REQUESTS.csv",
                       help="the requests, a header row first (UTF-8; ',' or ';' between cells)")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="the folder for the reports and the summary (created if missing; "
                            "must be empty unless --force)")
    batch.add_argument("--format", choices=FORMATS, default=DEFAULT_FORMAT,
                       help=f"the reports' format (default: {DEFAULT_FORMAT})")
    batch.add_argument("--force", action="store_true",
                       help="write into a folder that is not empty, replacing files of the "
                            "same names")
    batch.add_argument("--accept-too-many", action="store_true",
                       help="write the report also when a request finds more than the "
                            "too-many threshold (otherwise that line is 'too many', no report)")
    batch.add_argument("--no-bom", action="store_true",
                       help="write CSV files without the UTF-8 byte-order mark")
    batch.add_argument("--quiet", "-q", action="store_true", help="no progress output")


def _search(search: argparse.ArgumentParser) -> None:
    add_config(search)
    _add_criteria(search)
    search.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help="output format (default: table)")
    search.add_argument("--hints", action="store_true",
                        help="also read the found items' free text for other phone numbers and "
                             "e-mail addresses of the person (suggestions, never searched)")
    _add_reference(search)


def _explain(explain: argparse.ArgumentParser) -> None:
    add_config(explain)
    _add_criteria(explain)
    explain.add_argument("--sql", action="store_true",
                         help="also print each statement and the engine's query plan")
    add_format(explain)


def _details(details: argparse.ArgumentParser) -> None:
    add_config(details)
    details.add_argument("ref", help="DATABASE.TABLE#KEY, as the search output's _database, "
                                     "_table and _key")
    add_format(details)


def _indexes(indexes: argparse.ArgumentParser) -> None:
    add_config(indexes)
    action = indexes.add_mutually_exclusive_group()
    action.add_argument("--apply", action="store_true", help="create the missing indexes")
    action.add_argument("--drop", action="store_true", help="remove the workbench's indexes")
    action.add_argument("--status", action="store_true", help="say which indexes exist")
    add_format(indexes)


def _report(rep: argparse.ArgumentParser) -> None:
    from ..report.formats import DEFAULT_FORMAT, FORMATS, REGISTRY

    add_config(rep)
    _add_criteria(rep)
    _add_exclusions(rep)
    rep.add_argument("--out", required=True, metavar="PATH",
                     help="the file to write; its extension must be the format's; '-' writes "
                          "to standard output (binary formats only when it is not a terminal)")
    rep.add_argument("--format", choices=FORMATS, default=None,
                     help=", ".join(f"{f.name} ({f.description}, {f.extension})"
                                    for f in REGISTRY.values())
                     + f"; default: from --out's extension, else {DEFAULT_FORMAT}")
    rep.add_argument("--no-bom", action="store_true",
                     help="write CSV (csv, csv-wide) without the UTF-8 byte-order mark")
    rep.add_argument("--subject-copy", action="store_true",
                     help="the copy for the data subject (Art. 15(4) GDPR): values the datamap "
                          "declares third_party (agents' names...) redacted, and what was "
                          "searched and when stated; default: the DPO's own report, complete")
    _add_quiet(rep)
    _add_reference(rep)


def _erase(erase: argparse.ArgumentParser) -> None:
    add_config(erase)
    _add_criteria(erase)
    _add_exclusions(erase)
    mode = erase.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true", help="only show the plan (the default)")
    mode.add_argument("--confirm", metavar="TOKEN", help="execute the plan with this token")
    mode.add_argument("--resume", metavar="RUN_ID",
                      help="complete an interrupted run (criteria, if given, verify it)")
    mode.add_argument("--status", action="store_true", help="list unfinished erasure runs")
    add_format(erase)
    _add_quiet(erase)
    _add_reference(erase)


def _check(check: argparse.ArgumentParser) -> None:
    add_config(check)
    add_format(check)


#: Every command: (help, description, the function that adds its arguments), in the
#: order ``dpo-workbench --help`` lists them.
COMMAND_ARGUMENTS: dict[str, tuple[str, str | None, Callable[[argparse.ArgumentParser], None]]] = {
    "demo": ("the generated demo installation", None, _demo),
    "search": ("find everything held about one person", None, _search),
    "explain": ("say what a search would look at, in words", None, _explain),
    "details": ("show everything about one found item", None, _details),
    "indexes": ("print (or create) the indexes that make search fast", None, _indexes),
    "report": ("write everything about the found items to a file", None, _report),
    "erase": ("erase everything about the found items (plan first, then confirm)",
              "Without --confirm, prints the erasure plan (a dry run) and its token. Run again "
              "with --confirm TOKEN to execute exactly that plan.", _erase),
    "verify": ("verify an erasure again, or sweep everything for the person's mentions",
               "--run RUN_ID verifies that erasure run again now (its stored receipt is not "
               "changed). --deep sweeps every text column of every table of every database and "
               "every text file of every file store for the criteria's identifiers and lists "
               "each remaining mention by location, never its value (exit status 4 when any "
               "remains). --redact plans replacing only those identifiers inside the texts (a "
               "dry run with a token); --confirm TOKEN executes exactly that plan.", _verify),
    "batch": ("search and report many requests: one per line of a CSV file",
              "Columns: reference (your case number, required), email, phone, first_name, "
              "last_name, start, end, digits. Writes a report per request and summary.csv / "
              "summary.json into --out. Exit status 5 when a line failed (the others still "
              "run).", _batch),
    "audit": ("the audit log: list its events, verify its hash chain",
              "Who did what, when, on which tables and how many rows.", _audit),
    "datamap": ("draft a datamap from the databases' live schema",
                "Reflect and sample the databases the settings file names (it need not name a "
                "datamap yet) and write a commented draft datamap to review (docs/datamap.md, "
                "Drafting a datamap).", _datamap),
    "check": ("check the settings, the datamap and the databases", None, _check),
}


def command_of(argv: Sequence[str]) -> str | None:
    """The command an argument list runs: its first word that is not an option.

    >>> command_of(["search", "--phone", "1"]), command_of(["--version"])
    ('search', None)
    """
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command and option of ``dpo-workbench``.

    With ``command`` (one of :data:`COMMAND_ARGUMENTS`), only that command's options are built
    and the others are listed by name and help: what one run needs, in a fraction of
    the time (a search's start counts every millisecond).
    """
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="dpo-workbench",
        description="Find, report and erase one person's data in a contact-centre installation.")
    parser.add_argument("--version", action="version", version=f"dpo-workbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    everything = command not in COMMAND_ARGUMENTS
    for name, (help_text, description, add_arguments) in COMMAND_ARGUMENTS.items():
        p = sub.add_parser(name, help=help_text, description=description)
        if everything or name == command:
            add_arguments(p)
    return parser
