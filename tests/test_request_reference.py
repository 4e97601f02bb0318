"""A request's reference follows it through the audit log: every event a step records
under ``reference=`` (API) or ``--reference`` (command line) carries it, an erasure's
own events and verifying search included; a reference that looks like an e-mail
address stops the command before anything is searched."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fixed_install import EMAIL, PHONE, build_fixed_install

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.errors import EXIT_OK, EXIT_USAGE, UsageError
from dpo_workbench.selection import Selection


@pytest.fixture
def install(tmp_path: Path) -> Path:
    return build_fixed_install(tmp_path / "install")


def _events(install: Path) -> list[tuple[str, str | None]]:
    with dw.open_workbench(install) as wb:
        return [(str(e.action), e.reference) for e in wb.audit.events()]


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_every_event_of_an_api_call_carries_its_reference(install: Path,
                                                          tmp_path: Path) -> None:
    with dw.open_workbench(install, user="dpo") as wb:
        result = wb.search(phone=PHONE, reference="DPO-1")
        ref = dw.RowRef.parse("operative.contact_events#101")
        details = wb.details(ref, reference="DPO-1")
        wb.read_file(details.files[0], reference="DPO-1")
        wb.report(Selection.all(result), criteria=result.criteria,
                  out=tmp_path / "r.zip", reference="DPO-1")
        wb.search(email=EMAIL)  # another step, of no request
        plan = wb.plan_erasure(Selection.all(result), criteria=result.criteria,
                               reference="DPO-1")
        wb.erase(plan, plan.token, criteria=result.criteria, reference="DPO-1")

    events = _events(install)
    # the erasure searches again before it executes and to verify itself: the case's too
    assert events == [
        ("search", "DPO-1"), ("details_viewed", "DPO-1"), ("file_downloaded", "DPO-1"),
        ("report_created", "DPO-1"), ("search", None), ("erasure_planned", "DPO-1"),
        ("search", "DPO-1"), ("erasure_executed", "DPO-1"), ("search", "DPO-1"),
        ("erasure_verified", "DPO-1")]


def test_the_reference_keyword_shows_in_the_signature() -> None:
    import inspect

    for name in ("search", "details", "read_file", "report", "plan_erasure", "erase",
                 "resume_erasure"):
        parameter = inspect.signature(getattr(dw.Workbench, name)).parameters["reference"]
        assert parameter.kind is parameter.KEYWORD_ONLY and parameter.default is None, name


def test_command_line_reference_is_in_every_event_of_the_command(install: Path,
                                                                tmp_path: Path) -> None:
    config = str(install)
    assert _run("search", "-c", config, "--phone", PHONE, "--reference", "DPO-2",
                "--format", "json")[0] == EXIT_OK
    assert _run("report", "-c", config, "--phone", PHONE, "--reference", "DPO-2",
                "--out", str(tmp_path / "r.csv"))[0] == EXIT_OK
    assert _run("erase", "-c", config, "--phone", PHONE, "--reference", "DPO-2")[0] == EXIT_OK
    assert _run("search", "-c", config, "--email", EMAIL)[0] == EXIT_OK

    assert _events(install) == [
        ("search", "DPO-2"),
        ("search", "DPO-2"), ("report_created", "DPO-2"),
        ("search", "DPO-2"), ("erasure_planned", "DPO-2"),
        ("search", None),
    ]
    status, out, _ = _run("audit", "list", "-c", config, "--reference", "DPO-2")
    assert status == EXIT_OK and len(out.splitlines()) == 1 + 5


@pytest.mark.parametrize("command", ["search", "report", "erase"])
def test_a_reference_like_an_e_mail_address_is_refused_before_anything_runs(
        install: Path, tmp_path: Path, command: str) -> None:
    argv = [command, "-c", str(install), "--phone", PHONE, "--reference", EMAIL]
    if command == "report":
        argv += ["--out", str(tmp_path / "r.csv")]
    status, out, err = _run(*argv)
    assert status == EXIT_USAGE
    assert "error:" in err and EMAIL not in err + out
    assert _events(install) == []  # nothing was searched, nothing recorded
    assert not (tmp_path / "r.csv").exists()


def test_the_api_refuses_it_too(install: Path) -> None:
    with dw.open_workbench(install) as wb, pytest.raises(UsageError) as raised:
        wb.search(phone=PHONE, reference=EMAIL)
    assert EMAIL not in str(raised.value)
    assert _events(install) == []


def test_a_resumed_run_keeps_its_requests_reference(install: Path) -> None:
    """A run killed mid-way and resumed without --reference goes on under its reference."""
    import os
    import subprocess
    import sys

    from dpo_workbench.erasure.faults import KILL_AT

    status, out, _ = _run("erase", "-c", str(install), "--phone", PHONE, "--format", "json",
                          "--reference", "DPO-9")
    token = __import__("json").loads(out)["plan"]["token"]
    killed = subprocess.run(
        [sys.executable, "-m", "dpo_workbench.cli", "erase", "-c", str(install), "--phone",
         PHONE, "--confirm", token, "--reference", "DPO-9", "-q"],
        env=dict(os.environ, **{KILL_AT: "audit.executed"}), capture_output=True, timeout=120)
    assert killed.returncode == -9
    with dw.open_workbench(install) as wb:
        (run_id, _), = wb.journal.stories()
    assert _run("erase", "-c", str(install), "--resume", run_id, "-q")[0] == EXIT_OK
    after = _events(install)
    resumed = after[after.index(("erasure_executed", "DPO-9")) + 1:]
    assert resumed and all(ref == "DPO-9" for _, ref in resumed), resumed
