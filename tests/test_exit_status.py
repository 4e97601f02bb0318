"""The command line exits with the status the README documents, case by case.

One small demo installation on SQLite serves every case; no case changes its data
(a refused erasure changes nothing, which is one of the things shown).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_installation
from sqlalchemy import create_engine, text

import dpo_workbench as dw
from dpo_workbench.audit import Action, open_audit_log
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO
from dpo_workbench.errors import (
    EXIT_CHECK_FAILED,
    EXIT_CONFIG,
    EXIT_MEANINGS,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
)
from dpo_workbench.settings import load_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with demo_installation(tmp_path_factory.mktemp("exit") / "demo-install") as settings:
        yield settings


def _tampered_audit_log(folder: Path) -> Path:
    """A settings file whose audit log has an edited event (audit needs no installation)."""
    settings = folder / "audited.yaml"
    settings.write_text("datamap: dm.yaml\ndatabases: {x: sqlite:///x.sqlite}\n"
                        "state: sqlite:///state/workbench.sqlite\n", encoding="utf-8")
    with open_audit_log(load_settings(settings)) as log:
        log.record("dpo", Action.LOGIN)
        log.record("dpo", Action.SEARCH, tables={"operative.contact_events": 4})
    engine = create_engine(f"sqlite:///{folder}/state/workbench.sqlite")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET tables_json = '{}' WHERE id = 2"))
    engine.dispose()
    return settings


# (arguments, the status): {settings} is the demo's settings file, {tmp} a fresh folder,
# {tampered} a settings file whose audit log was edited behind the workbench's back
CASES = [
    # nothing found is a success, not an error
    (["search", "-c", "{settings}", "--phone", "999 999 9999"], EXIT_OK),
    # argparse: an option no command has
    (["search", "-c", "{settings}", "--fone", "040 123 4567"], EXIT_USAGE),
    # argparse: erase's modes exclude each other
    (["erase", "-c", "{settings}", "--status", "--plan"], EXIT_USAGE),
    # --exclude takes DATABASE.TABLE#KEY; refused before anything is written
    (["report", "-c", "{settings}", "--phone", AINO.phone, "--exclude", "contact_events 7",
      "--out", "{tmp}/r.csv"], EXIT_USAGE),
    # details with a key that cannot be a key of that table (its keys are whole numbers)
    (["details", "-c", "{settings}", "operative.contact_events#abc"], EXIT_USAGE),
    # a report into a folder that does not exist: refused before anything is read
    (["report", "-c", "{settings}", "--phone", AINO.phone, "--out", "{tmp}/no/such/r.csv"],
     EXIT_USAGE),
    # an acting user name longer than the audit log keeps
    (["search", "-c", "{settings}", "--phone", AINO.phone, "--user", "x" * 201], EXIT_USAGE),
    # details of a table the datamap does not declare
    (["details", "-c", "{settings}", "operative.no_such_table#1"], EXIT_USAGE),
    # details of a row that is not there (any more)
    (["details", "-c", "{settings}", "operative.contact_events#99999999"], EXIT_USAGE),
    # invalid criteria: a phone number needs at least 3 digits
    (["search", "-c", "{settings}", "--phone", "12"], EXIT_USAGE),
    # invalid criteria: a first name needs the last name too
    (["explain", "-c", "{settings}", "--first-name", "Aino"], EXIT_USAGE),
    # invalid criteria: an end before the start
    (["erase", "-c", "{settings}", "--phone", AINO.phone, "--start", "2025-02-01",
      "--end", "2025-01-01"], EXIT_USAGE),
    # demo build: --database takes NAME=URL, checked before anything is built
    (["demo", "build", "{tmp}/demo", "--database", "operative"], EXIT_USAGE),
    # a settings file that does not exist
    (["search", "-c", "{tmp}/missing.yaml", "--phone", AINO.phone], EXIT_CONFIG),
    (["audit", "list", "-c", "{tmp}/missing.yaml"], EXIT_CONFIG),
    # a token that is not the plan's: refused, its own status
    (["erase", "-c", "{settings}", "--phone", AINO.phone, "--confirm", "AAAA-BBBB-CCCC"],
     EXIT_REFUSED),
    # an audit log with an edited event does not verify
    (["audit", "verify", "-c", "{tampered}"], EXIT_CHECK_FAILED),
    # a run the journal does not know is "a run that does not exist"
    (["erase", "-c", "{settings}", "--resume", "0123456789abcdef"], EXIT_USAGE),
    # a report name whose extension is not the format's, or names none: refused first
    (["report", "-c", "{settings}", "--phone", AINO.phone, "--out", "{tmp}/r.csv",
      "--format", "xlsx"], EXIT_USAGE),
    (["report", "-c", "{settings}", "--phone", AINO.phone, "--out", "{tmp}/r.txt"],
     EXIT_USAGE),
    # audit list: the user to show given twice, differently (--user is --by's old spelling)
    (["audit", "list", "-c", "{settings}", "--by", "dpo", "--user", "analyst"], EXIT_USAGE),
    # --format json keeps the statuses: invalid criteria are still 2
    (["explain", "-c", "{settings}", "--phone", "12", "--format", "json"], EXIT_USAGE),
    # a batch whose requests file does not exist: refused before a folder is made
    (["batch", "-c", "{settings}", "{tmp}/missing.csv", "--out", "{tmp}/demo"], EXIT_USAGE),
    # a request reference that looks like an e-mail address: nothing is searched
    (["search", "-c", "{settings}", "--phone", AINO.phone, "--reference", AINO.email],
     EXIT_USAGE),
]


def _id(case: object) -> str:
    """``2 search --phone 12``: the status, then the arguments but the files."""
    argv, status = getattr(case, "values", case)  # a pytest.param or a tuple
    return " ".join([str(status), *(a for a in argv if a != "-c" and "{" not in a)])


@pytest.mark.parametrize(("argv", "status"), CASES, ids=[_id(c) for c in CASES])
def test_the_command_line_exits_with_the_documented_status(demo, tmp_path, capsys, argv,
                                                           status):
    values = {"settings": demo, "tmp": tmp_path}
    if "{tampered}" in argv:
        values["tampered"] = _tampered_audit_log(tmp_path)
    assert main([a.format(**values) for a in argv]) == status
    assert status in EXIT_MEANINGS  # a status the README's table explains
    out, err = capsys.readouterr()
    if status == EXIT_OK:
        assert not err
    elif status == EXIT_CHECK_FAILED:
        assert "TAMPERED" in out  # the check's report says what failed
    else:
        assert "error:" in err  # every refusal says why, on stderr
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "demo").exists()


def test_a_wrong_confirmation_token_has_its_own_exit_status(demo, capsys):
    erase = ["erase", "--config", str(demo), "--phone", AINO.phone]
    with dw.open_workbench(demo) as wb:
        before = wb.search(phone=AINO.phone).counts()
    status = main([*erase, "--confirm", "AAAA-BBBB-CCCC"])
    # not "the settings are wrong" (3), which it was before errors.py's table
    assert status == EXIT_REFUSED != EXIT_CONFIG
    assert "Nothing was changed" in capsys.readouterr().err
    with dw.open_workbench(demo) as wb:
        assert wb.search(phone=AINO.phone).counts() == before
        assert wb.journal.unfinished() == []  # no run was started either


def test_a_report_that_was_never_written_is_not_in_the_audit_log(demo, tmp_path):
    assert main(["report", "-c", str(demo), "--phone", AINO.phone,
                 "--out", str(tmp_path / "missing" / "r.zip")]) == EXIT_USAGE
    with dw.open_workbench(demo) as wb:
        created = [e for e in wb.audit.events(action="report_created")
                   if e.detail.get("format") == "zip"]
    assert created == []
