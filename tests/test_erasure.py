"""Guarded erasure on SQLite, PostgreSQL and MariaDB: nothing of the person is left,
nobody else is touched, an interrupted run resumes, and SQLite keeps no old bytes."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import demo_installation
from scan import needles, raw_hits, row_counts, scan_databases, scan_files
from sqlalchemy import create_engine, text

import dpo_workbench as dw
from dpo_workbench.audit import personal_data_reason
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO, SOREN, ZOE
from dpo_workbench.erasure.journal import COMMITTED, DONE, FINISHED, PENDING
from dpo_workbench.erasure.plan import token_of
from dpo_workbench.erasure.strategies import ANONYMIZED
from dpo_workbench.errors import EXIT_REFUSED, ConfirmationError, ErasureIncomplete
from dpo_workbench.selection import Selection

pytestmark = pytest.mark.engines

ANONYMIZED_TABLES = ("operative.contact_events", "monitoring1.contact_events",
                     "operative.contact_notes", "operative.call_data")


def _aino(wb):
    return wb.criteria(phone=AINO.phone, email=AINO.email)


def _others(wb):
    """Everything the search finds of the other sample subjects."""
    out = {}
    for s in (SOREN, ZOE):
        for fields in ({"phone": s.phone}, {"email": s.email}):
            out[(s.key, *fields)] = sorted(map(str, wb.search(**fields).refs()))
    return out


def test_erasure_leaves_nothing_of_the_person_and_touches_nobody_else(engine, tmp_path):
    with demo_installation(tmp_path, engine) as settings, \
            dw.open_workbench(settings, user="dpo") as wb:
        criteria = _aino(wb)
        result = wb.search(criteria)
        assert all(n > 0 for n in result.counts().values())
        before_counts, before_others = row_counts(wb), _others(wb)

        plan = wb.plan_erasure(Selection.all(result))
        assert row_counts(wb) == before_counts  # planning is a dry run
        receipt = wb.erase(plan, plan.token, criteria=criteria)
        assert receipt["verified"], receipt["problems"]
        assert receipt["files"]["deleted"] > 0

        email, digits = needles(AINO)
        assert scan_databases(wb, email, digits) == []
        assert scan_files(wb.settings.files.values(), email, digits) == []
        assert wb.search(criteria).total == 0

        after = row_counts(wb)
        for table in ANONYMIZED_TABLES:  # statistics stay: rows are kept
            assert after[table] == before_counts[table], table
        deleted = {f"{t.database}.{t.table}": t.rows for t in plan.targets
                   if t.action.value == "delete"}
        for table, n in deleted.items():
            assert after[table] == before_counts[table] - n, table
        assert _others(wb) == before_others
        # The workbench's own state (audit log, journal, kept schema) keeps none of it either.
        state = wb.settings.folder / "state"
        kept = [p for p in state.rglob("*") if p.is_file()]
        assert raw_hits(kept, [AINO.email, *AINO.spellings, digits]) == []
        actions = {e.action for e in wb.audit.events()}
        assert {"search", "erasure_planned", "erasure_executed", "erasure_verified"} <= actions


def test_anonymized_rows_keep_statistics_and_lose_identity(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        criteria = _aino(wb)
        result = wb.search(criteria)
        ref = dw.RowRef.from_record(result.contacts.iloc[0].to_dict())
        before = wb.details(ref).fields
        plan = wb.plan_erasure(Selection.all(result))
        wb.erase(plan, plan.token, criteria=criteria)
        after = wb.details(ref).fields
        for col in ("started_at", "channel", "direction", "queue_id", "agent_id",
                    "wait_seconds", "handling_seconds"):
            assert after[col] == before[col], col
        for col in ("remote_number", "remote_address", "remote_name", "subject", "body"):
            assert after[col] in (None, ANONYMIZED), col
        assert after["recording_file"] is None


def test_exactly_the_unticked_rows_and_group_survive(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        criteria = _aino(wb)
        result = wb.search(criteria)
        keep_row = dw.RowRef.from_record(result.contacts.iloc[1].to_dict())
        sel = Selection.all(result).unselect(keep_row).unselect_group("consents")
        kept = {keep_row, *result.refs("consents")}
        plan = wb.plan_erasure(sel)
        receipt = wb.erase(plan, plan.token, criteria=criteria)
        assert receipt["verified"], receipt["problems"]
        assert set(wb.search(criteria).refs()) == kept


def test_execution_needs_the_plans_token(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        result = wb.search(_aino(wb))
        plan = wb.plan_erasure(Selection.all(result))
        before = row_counts(wb)
        for wrong in ("", "yes", "DELETE", plan.token[:-1] + "X"):
            with pytest.raises(ConfirmationError):
                wb.erase(plan, wrong)
        with pytest.raises(ConfirmationError):
            wb.erase(wb.plan_erasure(Selection.all(result).unselect(*result.refs())), "")
        assert row_counts(wb) == before
        assert wb.journal.unfinished() == []


def test_a_failing_database_leaves_the_others_done_and_resumes(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        criteria = _aino(wb)
        plan = wb.plan_erasure(Selection.all(wb.search(criteria)))
        outbound = tmp_path / "outbound.sqlite"
        # Reading still works (the plan is made again first); changing fails.
        _sql(outbound, "CREATE TRIGGER refuse BEFORE DELETE ON customer_fields "
                       "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        with pytest.raises(ErasureIncomplete) as info:
            wb.erase(plan, plan.token, criteria=criteria)
        run = info.value.run
        assert run.step("operative").status == DONE
        assert run.step("outbound").status == "failed"
        story = str(info.value)
        assert "operative: done" in story and "outbound: failed" in story
        assert "1234567" not in story and "jarvinen" not in story.lower()

        _sql(outbound, "DROP TRIGGER refuse")
        receipt = wb.resume_erasure(run.run_id, criteria=criteria)
        assert receipt["verified"], receipt["problems"]
        assert wb.journal.load(run.run_id).status == FINISHED


def _sql(path, statement):
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


KILLER = textwrap.dedent("""
    import os, signal, sys
    import dpo_workbench as dw
    from dpo_workbench.selection import Selection

    wb = dw.open_workbench(sys.argv[1], user="dpo")
    criteria = wb.criteria(phone=sys.argv[2], email=sys.argv[3])
    plan = wb.plan_erasure(Selection.all(wb.search(criteria)))

    def die_after_first_commit(database, status):
        if status == "committed":
            os.kill(os.getpid(), signal.SIGKILL)

    wb.erase(plan, plan.token, criteria=criteria, on_step=die_after_first_commit)
""")


def test_a_killed_erasure_resumes_and_completes(tmp_path, capsys):
    with demo_installation(tmp_path / "install") as settings:
        script = tmp_path / "killer.py"
        script.write_text(KILLER)
        proc = subprocess.run([sys.executable, str(script), str(settings), AINO.phone,
                               AINO.email], capture_output=True, timeout=120)
        assert proc.returncode == -signal.SIGKILL

        with dw.open_workbench(settings) as wb:
            [run] = wb.journal.unfinished()
            statuses = [s.status for s in run.steps]
            assert statuses[0] == COMMITTED and set(statuses[1:]) == {PENDING}
            assert f"{run.steps[0].database}: rows committed, files not yet deleted" in run.story()
            # The first database's rows are anonymized although the process died.
            assert wb.search(phone=AINO.phone).counts()["consents"] == 0

        status = main(["erase", "--config", str(settings), "--status"])
        assert status == 0 and run.run_id in capsys.readouterr().out
        status = main(["erase", "--config", str(settings), "--resume", run.run_id,
                       "--phone", AINO.phone, "--email", AINO.email])
        out = capsys.readouterr().out
        assert status == 0, out
        assert "verified" in out and "NOT verified" not in out
        with dw.open_workbench(settings) as wb:
            done = wb.journal.load(run.run_id)
            assert done.status == FINISHED and {s.status for s in done.steps} == {DONE}
            assert done.receipt["verified"]
            # The audit log tells the same story, in order, with an intact chain.
            events = wb.audit.events()
            erasure = [e.action for e in events if e.action.startswith("erasure")]
            assert erasure == ["erasure_planned", "erasure_executed", "erasure_verified"]
            assert all(run.token == e.detail["token"] for e in events
                       if e.action.startswith("erasure"))
            assert wb.audit.verify().ok
            email, digits = needles(AINO)
            assert scan_databases(wb, email, digits) == []
            assert scan_files(wb.settings.files.values(), email, digits) == []


def test_sqlite_files_keep_no_old_bytes_after_erasure(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        criteria = _aino(wb)
        plan = wb.plan_erasure(Selection.all(wb.search(criteria)))
        db_files = [p for p in tmp_path.rglob("*.sqlite*")]
        spellings = [*AINO.spellings, *AINO.email_spellings, AINO.email, "401234567"]
        assert raw_hits(db_files, spellings)  # the check can fail: the bytes are there
        wb.erase(plan, plan.token, criteria=criteria)
        wb.close()
        db_files = [p for p in tmp_path.rglob("*.sqlite*")]
        assert raw_hits(db_files, spellings) == []


def test_the_command_line_plans_then_executes_with_the_token(tmp_path, capsys):
    with demo_installation(tmp_path) as settings:
        args = ["erase", "--config", str(settings), "--phone", AINO.phone,
                "--exclude-group", "consents"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "Nothing has been changed" in out and "customer_consents" not in out
        token = out.rsplit("--confirm ", 1)[1].split()[0]
        assert main([*args, "--confirm", "WRONG-TOKEN"]) == EXIT_REFUSED
        assert "does not match" in capsys.readouterr().err
        assert main([*args, "--confirm", token]) == 0
        assert "verified" in capsys.readouterr().out
        with dw.open_workbench(settings) as wb:
            counts = wb.search(phone=AINO.phone).counts()
        assert counts == {"contacts": 0, "directory_entries": 0, "campaign_customers": 0,
                          "consents": counts["consents"]} and counts["consents"] > 0



def test_no_plan_token_is_refused_by_the_audit_log_as_a_phone_number():
    # About one token in 650 drawn freely holds six digits in a row: the audit log
    # refused it, so that person's erasure could not even be planned.
    tokens = {token_of({"items": [["operative", "contact_events", i]]}) for i in range(20_000)}
    assert len(tokens) == 20_000
    assert [t for t in tokens if personal_data_reason(t)] == []
