"""One set of conventions for every command (issue 12, "Formats and conventions").

Each finding of the issue has a test named for it that fails on the code before the
fix: every command that prints takes ``--format json`` and prints one document
whose keys are declared in :mod:`dpo_workbench.cli.documents` (checked here against
those types); ``--out -`` writes to standard output; an output name whose
extension is not the format's is refused before anything is searched;
``report --out r.xlsx`` writes a workbook; ``--user`` means "who acts" everywhere.
Most tests use the fixed installation (fast, exact); erasure tests get a fresh copy.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pty
import sqlite3
import subprocess
import sys
import types
import typing
import zipfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
from fixed_install import EMAIL, PHONE
from test_readme import _commands
from xlsxread import read_xlsx

import dpo_workbench as dw
from dpo_workbench import __version__
from dpo_workbench.cli import build_parser, documents, main
from dpo_workbench.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
)
from dpo_workbench.settings import CONFIG_ENV

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def install(fixed_copy: Path) -> Path:
    """A fresh copy of the fixed installation for each test: erasure changes it."""
    return fixed_copy


def run(*argv: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def run_json(*argv: str, status: int = EXIT_OK) -> Any:
    """Run with ``--format json``; the exit status must be ``status``; return the document."""
    got, out, err = run(*argv, "--format", "json")
    assert got == status, err
    return json.loads(out)  # one document, nothing else on stdout


def conforms(value: Any, typ: Any, strict: bool = True) -> None:
    """``value`` has every key and type of ``typ``; with ``strict``, no key it does not declare.

    msgspec checks the types and required keys; the walk here checks that no
    undeclared key was added (documents built by the command line itself).
    """
    msgspec.convert(value, typ, strict=True)
    if not strict:
        return
    origin = typing.get_origin(typ)
    if typing.is_typeddict(typ):
        hints = typing.get_type_hints(typ)
        assert set(value) <= set(hints), (typ.__name__, set(value) - set(hints))
        for k, v in value.items():
            conforms(v, _required(hints[k]))
    elif origin is list:
        for v in value:
            conforms(v, typing.get_args(typ)[0])
    elif origin is dict:
        for v in value.values():
            conforms(v, typing.get_args(typ)[1])
    elif origin in (types.UnionType, typing.Union) and value is not None:
        conforms(value, next(a for a in typing.get_args(typ) if a is not type(None)))


def _required(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is typing.NotRequired else hint


def _doc(command: str) -> Any:
    return dict(documents.COMMAND_DOCUMENTS)[command]


# -- the findings ---------------------------------------------------------------------------

#: Commands whose --format means something else: search (table/json/csv), report (the
#: report's file format), datamap draft (yaml); demo build prints only progress.
OWN_FORMATS = {("search",): ("table", "json", "csv"), ("report",): None, ("batch",): None,
               ("datamap", "draft"): ("yaml",), ("demo", "build"): None}


def _format_choices(parser: argparse.ArgumentParser) -> tuple[str, ...] | None:
    for action in parser._actions:
        if "--format" in action.option_strings:
            return tuple(action.choices)
    return None


def test_format_choices_no_longer_differ_per_command():
    """Finding: `--format` choices differ per command. Now text|json wherever one prints."""
    commands = dict(_commands(build_parser()))
    for command, parser in commands.items():
        if command in OWN_FORMATS:
            if OWN_FORMATS[command] is not None:
                assert _format_choices(parser) == OWN_FORMATS[command], command
            continue
        assert _format_choices(parser) == ("text", "json"), command
    assert "json" in _format_choices(commands[("search",)])  # search's json stays


def test_erase_prints_its_plan_and_token_as_json_so_no_script_greps_prose(install):
    """Finding: erase printed its plan and token as prose only."""
    erase = ["erase", "-c", str(install), "--phone", PHONE, "--exclude-group", "consents"]
    doc = run_json(*erase)
    conforms(doc, _doc("erase: the plan, without --confirm or when a confirmation is refused "
                       "(exit 6)"))
    plan = doc["plan"]
    assert plan["token"] and len(plan["token"]) == 14 and doc["unfinished_runs"] == []
    assert plan["items"] == ["operative.contact_events#101", "directory.directory_entries#11",
                             "outbound.campaign_customers#21"]
    assert not [t for t in plan["targets"] if t["table"] == "customer_consents"]
    assert plan["description"].startswith("Erase 3 selected item(s)")
    assert PHONE not in json.dumps(doc) and "765 4321" not in json.dumps(doc)

    # a wrong token: exit 6, and the plan (with its token) is still the document
    refused = run_json(*erase, "--confirm", "AAAA-BBBB-CCCC", status=EXIT_REFUSED)
    assert refused["plan"]["token"] == plan["token"]

    receipt = run_json(*erase, "--confirm", plan["token"])
    conforms(receipt, _doc("erase --confirm or --resume: the receipt (exit 0, or 4 if not "
                           "verified)"), strict=False)
    assert receipt["receipt"]["verified"] is True
    assert receipt["receipt"]["token"] == plan["token"] and receipt["receipt"]["items"] == 3
    assert run_json("erase", "-c", str(install), "--status") == {"runs": []}


def test_an_erasure_stopped_part_way_status_and_resume_print_json(install):
    outbound = install.parent / "outbound.sqlite"
    con = sqlite3.connect(outbound)
    con.execute("CREATE TRIGGER refuse BEFORE DELETE ON customer_fields "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    con.commit()
    erase = ["erase", "-c", str(install), "--phone", PHONE, "--email", EMAIL]
    token = run_json(*erase)["plan"]["token"]
    stopped = run_json(*erase, "--confirm", token, status=EXIT_INCOMPLETE)
    conforms(stopped, _doc("erase: a run that stopped part-way (exit 5)"))
    run_id = stopped["incomplete"]["run_id"]
    steps = {s["database"]: s["status"] for s in stopped["incomplete"]["steps"]}
    assert steps["outbound"] == "failed" and steps["operative"] == "done"

    runs = run_json("erase", "-c", str(install), "--status")
    conforms(runs, _doc("erase --status"))
    assert [r["run_id"] for r in runs["runs"]] == [run_id]
    # the next plan names the unfinished run
    assert run_json(*erase)["unfinished_runs"] == [run_id]

    con.execute("DROP TRIGGER refuse")
    con.commit()
    con.close()
    resumed = run_json("erase", "-c", str(install), "--resume", run_id)
    assert resumed["receipt"]["verified"] and resumed["receipt"]["run_id"] == run_id


def test_details_explain_check_and_index_status_print_json_not_only_prose(install):
    """Finding: details, explain, check and indexes --status printed prose only."""
    c = ["-c", str(install)]
    details = run_json("details", *c, "operative.contact_events#101")
    conforms(details, _doc("details"))
    assert details["group"] == "contacts" and details["group_title"] == "Contacts"
    assert details["key"] == 101 and details["fields"]["handling_seconds"] == 261
    assert details["children"]["notes"][0]["note_text"].startswith("@callback")
    assert details["files"][0]["name"] == "101.wav" and "sha256" not in details["files"][0]
    assert details["copies"] == ["monitoring1.contact_events#101"]

    explain = run_json("explain", *c, "--phone", PHONE, "--start", "2025-01-01")
    conforms(explain, _doc("explain"))
    assert explain["search"].startswith("the phone number's last 7 digits")
    contacts = next(t for t in explain["tables"] if t["table"] == "operative.contact_events")
    assert contacts["terms"] == [{"kind": "phone", "columns": ["remote_number"],
                                  "words": "remote_number ends with the last 7 digits"}]
    assert contacts["restricted_by_dates"] is True and "sql" not in contacts
    assert "765" not in json.dumps(explain)  # words, never the searched value
    with_sql = run_json("explain", *c, "--email", EMAIL, "--sql")
    assert all("SELECT" in t["sql"] and t["engine_plan"]
               for t in with_sql["tables"] if t["searched"])
    assert EMAIL not in json.dumps(with_sql)

    check = run_json("check", *c)
    conforms(check, _doc("check"))
    assert check["ok"] and check["installation"] == "Fixed test installation"
    assert sorted(check["databases"]) == ["configuration", "directory", "monitoring1",
                                          "operative", "outbound"]

    status = run_json("indexes", *c, "--status")
    conforms(status, _doc("indexes (the key present is the action's)"))
    assert set(status) == {"status", "obsolete"} and status["status"]
    definitions = run_json("indexes", *c)
    assert [d["name"] for d in definitions["definitions"]] == [s["name"] for s in status["status"]]
    assert all(d["statements"] for d in definitions["definitions"])


def test_indexes_apply_and_drop_print_json(install):
    c = ["-c", str(install)]
    dropped = run_json("indexes", *c, "--drop")
    assert dropped["removed"] >= 0
    status, out, err = run("indexes", *c, "--apply", "--format", "json")
    assert status == EXIT_OK
    created = json.loads(out)  # progress lines went to stderr, not into the document
    conforms(created, _doc("indexes (the key present is the action's)"))
    assert {i["name"] for i in created["created"]} == {
        s["name"] for s in run_json("indexes", *c, "--status")["status"]}
    assert all(i["seconds"] >= 0 for i in created["created"])
    n = len(created["created"])
    assert f"{n}/{n}" in err  # the progress, index by index, on stderr


def test_audit_verify_and_list_print_json(install):
    c = ["-c", str(install)]
    run("search", *c, "--phone", PHONE, "--user", "dpo")
    verify = run_json("audit", "verify", *c)
    conforms(verify, _doc("audit verify (exit 4 if not ok)"))
    assert verify["ok"] and verify["checked"] >= 1 and verify["problems"] == []
    events = run_json("audit", "list", *c)
    conforms(events, _doc("audit list"), strict=False)
    assert events[-1]["action"] == "search" and events[-1]["user"] == "dpo"


def test_a_tampered_audit_log_verifies_as_json_with_exit_4(install):
    c = ["-c", str(install)]
    run("search", *c, "--phone", PHONE)
    con = sqlite3.connect(install.parent / "state" / "workbench.sqlite")
    con.execute("UPDATE audit_events SET tables_json = '{}' WHERE action = 'search'")
    con.commit()
    con.close()
    verify = run_json("audit", "verify", *c, status=EXIT_CHECK_FAILED)
    assert not verify["ok"] and "edited" in verify["problems"][0]


def test_user_means_who_acts_everywhere_and_audit_list_filters_with_by(install):
    """Finding: `--user` meant "who acts" except in `audit list`, where it filtered."""
    c = ["-c", str(install)]
    run("search", *c, "--phone", PHONE, "--user", "dpo")
    run("search", *c, "--phone", PHONE, "--user", "analyst")
    by = run_json("audit", "list", *c, "--by", "analyst")
    assert {e["user"] for e in by} == {"analyst"}
    # the old spelling still works for scripts, and says it is old
    status, out, err = run("audit", "list", *c, "--user", "analyst", "--format", "json")
    assert status == EXIT_OK and json.loads(out) == by
    assert "old spelling of `--by`" in err
    status, _, err = run("audit", "list", *c, "--user", "dpo", "--by", "analyst")
    assert status == EXIT_USAGE and "error:" in err
    # every other command's --user is who acts
    for command, parser in _commands(build_parser()):
        for action in parser._actions:
            if "--user" in action.option_strings and command != ("audit", "list"):
                assert action.dest == "user" and "who acts" in action.help, command


def test_demo_samples_print_json():
    status, out, _ = run("demo", "samples", "--format", "json")
    doc = json.loads(out)
    conforms(doc, _doc("demo samples"))
    assert doc["samples"][0]["phone"] == "+358 40 123 4567"


def test_version_prints_the_package_version(capsys):
    """Finding: no `--version` (fixed before; kept by this test)."""
    assert main(["--version"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"dpo-workbench {__version__}"


def test_config_defaults_to_dpo_workbench_config_for_every_command(install, monkeypatch):
    """Finding: `DPO_WORKBENCH_CONFIG` worked for the notebooks only (fixed before; kept)."""
    monkeypatch.setenv(CONFIG_ENV, str(install))
    doc = run_json("check")
    assert doc["installation"] == "Fixed test installation"
    for command, parser in _commands(build_parser()):
        for action in parser._actions:
            if "--config" in action.option_strings:
                assert action.default == str(install) and not action.required, command


# -- report: --out -, the extension rule, XLSX ---------------------------------------------


def _searches(install: Path) -> int:
    with dw.open_workbench(install) as wb:
        return len(wb.audit.events(action="search"))


def test_report_out_xlsx_writes_a_workbook_not_csv_under_an_xlsx_name(install, tmp_path):
    """Finding: `report --out r.xlsx` wrote CSV text under an .xlsx name, exit 0."""
    status, out, _ = run("report", "-c", str(install), "--phone", PHONE, "--email", EMAIL,
                         "--out", str(tmp_path / "r.xlsx"))
    assert status == EXIT_OK and out.endswith(f"\n6 item(s) written to {tmp_path / 'r.xlsx'}\n")
    # where the data lives, a line per table, in the datamap's labels
    assert "  Contacts: Contact (operative.contact_events): 2 item(s)\n" in out
    data = (tmp_path / "r.xlsx").read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(data)) and not data.startswith(b"\xef\xbb\xbfgroup")
    book = read_xlsx(data)
    assert len(book.records("Contacts")) == 2 and book.formulas == 0


ALL = (".csv (csv, csv-wide)", ".json", ".xlsx", ".zip")
# (arguments after the criteria, the valid extensions the error names) -- each refused,
# exit 2, before anything is searched or written
MISMATCHES = [
    (["--out", "{tmp}/r.xlsx", "--format", "csv"], (".csv",)),   # an xlsx name for CSV text
    (["--out", "{tmp}/r.csv", "--format", "xlsx"], (".xlsx",)),  # a csv name for a workbook
    (["--out", "{tmp}/r.zip", "--format", "json"], (".json",)),  # a zip name for JSON
    (["--out", "{tmp}/r.txt"], ALL),                             # an extension no format has
    (["--out", "{tmp}/eeva.makela"], ALL),         # a name with a dot has an extension too
]


@pytest.mark.parametrize(("extra", "valid"), MISMATCHES,
                         ids=[" ".join(m[0][1:]) for m in MISMATCHES])
def test_an_extension_that_is_not_the_formats_is_refused_before_searching(install, tmp_path,
                                                                           extra, valid):
    """Finding: an output name whose extension does not match the format was accepted."""
    before = _searches(install)
    status, out, err = run("report", "-c", str(install), "--phone", PHONE,
                           *[a.format(tmp=tmp_path) for a in extra])
    assert status == EXIT_USAGE and out == ""
    assert err.startswith("error: The output file name")
    assert all(f"{ext}" in err for ext in valid), err
    assert "makela" not in err  # the name may be a person's: never in a message
    assert list(tmp_path.iterdir()) == [tmp_path / "install"]  # nothing written
    assert _searches(install) == before  # nothing searched


@pytest.mark.parametrize("fmt", ["csv", "csv-wide", "json"])
def test_out_dash_writes_the_report_to_stdout_not_a_file_named_dash(install, tmp_path,
                                                                     monkeypatch, fmt):
    """Finding: `--out -` created a file called "-"."""
    monkeypatch.chdir(tmp_path)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.StringIO()
    argv = ["report", "-c", str(install), "--phone", PHONE, "--email", EMAIL, "--format", fmt]
    assert main([*argv, "--out", "-"], out, err) == EXIT_OK
    assert not (tmp_path / "-").exists()
    # standard error: the progress (plain lines, it is not a terminal), then the summary
    assert err.getvalue().splitlines()[-1] == "6 item(s) written to standard output"
    out.flush()
    written = out.buffer.getvalue()  # type: ignore[attr-defined]
    # the same bytes as the file (byte-order mark and CR LF included), but the time
    assert main([*argv, "--out", str(tmp_path / f"r.{'json' if fmt == 'json' else 'csv'}")],
                io.StringIO(), io.StringIO()) == EXIT_OK
    from_file = next(p for p in tmp_path.iterdir() if p.name.startswith("r.")).read_bytes()
    if fmt == "json":
        a, b = json.loads(written), json.loads(from_file)
        assert a["counts"] == b["counts"] and a["groups"] == b["groups"]
    else:
        assert written.startswith(b"\xef\xbb\xbfgroup,item,") and b"\r\n" in written

        def timeless(data: bytes) -> list[bytes]:
            return [line for line in data.split(b"\r\n") if b",created_at," not in line]

        assert timeless(written) == timeless(from_file)


def test_out_dash_writes_text_into_a_text_only_stream(install):
    status, out, err = run("report", "-c", str(install), "--phone", PHONE, "--out", "-",
                           "--no-bom")
    assert status == EXIT_OK and out.startswith("group,item,part,part_row,field,value,"
                                                "part_label,field_label\r\n")
    assert "written to standard output" in err


def _cli(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """The command line in a child process that imports this tree's package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "dpo_workbench.cli", *args], env=env,
                          timeout=120, check=False, **kwargs)


@pytest.mark.parametrize("fmt", ["xlsx", "zip"])
def test_out_dash_writes_a_binary_report_into_a_pipe(install, fmt):
    proc = _cli(["report", "-c", str(install), "--phone", PHONE, "--format", fmt, "--out", "-"],
                capture_output=True)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert zipfile.is_zipfile(io.BytesIO(proc.stdout))
    assert b"written to standard output" in proc.stderr


def test_out_dash_refuses_a_binary_report_on_a_terminal(install):
    primary, secondary = pty.openpty()
    try:
        proc = _cli(["report", "-c", str(install), "--phone", PHONE, "--format", "xlsx",
                     "--out", "-"], stdout=secondary, stderr=subprocess.PIPE)
    finally:
        os.close(secondary)
        os.close(primary)
    assert proc.returncode == EXIT_USAGE
    assert b"binary, to the terminal" in proc.stderr and b"> report.xlsx" in proc.stderr


def test_out_dash_refuses_a_binary_report_where_stdout_takes_no_bytes(install):
    before = _searches(install)
    status, out, err = run("report", "-c", str(install), "--phone", PHONE, "--format", "zip",
                           "--out", "-")
    assert status == EXIT_USAGE and out == "" and "takes no bytes" in err
    assert _searches(install) == before


def test_datamap_draft_out_dash_is_standard_output(install, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run("datamap", "draft", "-c", str(install), "--out", "-")
    assert status == EXIT_OK and out.startswith("#") and not (tmp_path / "-").exists()


# -- the documents and their schema ---------------------------------------------------------


def test_every_command_that_prints_json_has_a_declared_document():
    labels = [label for label, _ in documents.COMMAND_DOCUMENTS]
    for command, parser in _commands(build_parser()):
        # report and batch: --format is the report's format
        if "json" in (_format_choices(parser) or ()) and command not in (("report",), ("batch",)):
            assert any(label.startswith(" ".join(command)) for label in labels), command
    schema = json.loads((ROOT / "docs" / "schema" / "cli-output.schema.json").read_text())
    assert [d["title"] for d in schema["anyOf"]] == [
        f"dpo-workbench {label} --format json" for label in labels]
