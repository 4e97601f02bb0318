"""The deep sweep and mention-only redaction on SQLite, PostgreSQL and MariaDB.

Mentions planted where the datamap does not look (an undeclared table, another
person's e-mail body, an agent's note about someone else, a text file) survive an
erasure; the receipt lists exactly them, by location and never by value; the
mention-only redaction then replaces only the identifiers, every other byte kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import demo_installation
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select, text, update

import dpo_workbench as dw
from dpo_workbench.demo.samples import AINO
from dpo_workbench.erasure.strategies import ANONYMIZED
from dpo_workbench.errors import ConfirmationError
from dpo_workbench.selection import Selection

pytestmark = pytest.mark.engines

A = ANONYMIZED
#: Planted texts of the undeclared table: (text, the text once redacted); None: no mention.
CRM = {
    1: ("Customer wrote from AINO.JARVINEN@EXAMPLE.FI about the invoice.",
        f"Customer wrote from {A} about the invoice."),
    2: ("Callback +358 (40) 123-45.67 after 5 pm", f"Callback {A} after 5 pm"),
    3: ("Ref 12345678; wrote from aino.jarvinen@example.fin and xaino.jarvinen@example.fi",
        None),  # near misses: a longer number, longer addresses
}
BODY_PS = "\n\nPS. Aino (aino.jarvinen@example.fi) says hi – ÄÖÜ stay as they are."
NOTE_PS = " Asked to call her back on 040 123 45 67."
FILE = Path("2025") / "planted" / "visit.txt"
FILE_TEXT = "Visitor log, Järvenpää\r\nnobody yet\r\nAino.Jarvinen@Example.FI visited\r\n"
SECRETS = ("jarvinen", "1234567", "123 45 67", "123-45.67", "4567")


def _criteria(wb):
    return wb.criteria(phone=AINO.phone, email=AINO.email)


def _other_row(conn, table, where):
    return conn.execute(select(table.c.id).where(text(where)).order_by(table.c.id)
                        .limit(1)).scalar_one()


def plant(wb) -> dict[str, tuple[str, str]]:
    """Plant the mentions; return location -> (text as planted, text once redacted)."""
    inst = wb.installation
    engine = inst.engines["operative"]
    md = MetaData()
    crm = Table("crm_notes", md, Column("id", Integer, primary_key=True, autoincrement=False),
                Column("memo", Text), Column("owner", String(100)), mysql_engine="InnoDB")
    md.create_all(engine)
    ce = inst.table("operative", "contact_events")
    notes = inst.table("operative", "contact_notes")
    aino_ids = {r.key for r in wb.search(_criteria(wb)).refs()}
    planted: dict[str, tuple[str, str]] = {}
    with engine.begin() as conn:
        for key, (memo, redacted) in CRM.items():
            conn.execute(crm.insert().values(id=key, memo=memo, owner="agent007"))
            if redacted:
                planted[f"operative.crm_notes.memo#{key}"] = (memo, redacted)
        ids = ", ".join(str(i) for i in aino_ids) or "0"
        body_id = _other_row(conn, ce, f"channel = 'email' AND body IS NOT NULL "
                                       f"AND id NOT IN ({ids})")
        body = conn.execute(select(ce.c.body).where(ce.c.id == body_id)).scalar_one()
        conn.execute(update(ce).where(ce.c.id == body_id).values(body=body + BODY_PS))
        planted[f"operative.contact_events.body#{body_id}"] = (
            body + BODY_PS, body + BODY_PS.replace("aino.jarvinen@example.fi", A))
        note_id = _other_row(conn, notes, f"contact_id NOT IN ({ids})")
        note = conn.execute(select(notes.c.note_text).where(notes.c.id == note_id)).scalar_one()
        conn.execute(update(notes).where(notes.c.id == note_id).values(note_text=note + NOTE_PS))
        planted[f"operative.contact_notes.note_text#{note_id}"] = (
            note + NOTE_PS, note + NOTE_PS.replace("040 123 45 67", A))
    path = wb.settings.files["attachments"] / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(FILE_TEXT.encode("latin-1"))
    return planted


#: The stored bytes of a text column, per engine.
RAW = {"sqlite": "CAST({} AS BLOB)", "postgresql": "convert_to({}, 'UTF8')",
       "mysql": "CAST({} AS BINARY)", "mariadb": "CAST({} AS BINARY)"}


def _stored(wb, location: str) -> tuple[str, bytes]:
    """A planted value as text, and its exact stored bytes."""
    where, key = location.split("#")
    database, table, column = where.split(".")
    engine = wb.installation.engines[database]
    with engine.connect() as conn:
        value = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = {key}")).scalar_one()
        raw = conn.execute(text(f"SELECT {RAW[engine.dialect.name].format(column)} FROM "
                                f"{table} WHERE id = {key}")).scalar_one()
    return value, bytes(raw)


def _locations(section) -> set[str]:
    out = set()
    for m in section:
        if "store" in m:
            out.add(f"{m['store']}:{m['file']}:{m['line']}")
        else:
            out.add(f"{m['database']}.{m['table']}.{m['column']}#{m['key']}")
    return out


def test_the_receipt_lists_exactly_the_planted_mentions_and_redaction_keeps_the_rest(
        engine, tmp_path):
    with demo_installation(tmp_path, engine) as settings, \
            dw.open_workbench(settings, user="dpo") as wb:
        criteria = _criteria(wb)
        planted = plant(wb)
        plan = wb.plan_erasure(Selection.all(wb.search(criteria)), criteria=criteria)
        receipt = wb.erase(plan, plan.token, criteria=criteria)
        assert receipt["verified"], receipt["problems"]
        sweep = receipt["sweep"]
        assert sweep["in_erased_rows"] == []
        assert _locations(sweep["elsewhere"]) == {*planted, f"attachments:{FILE.as_posix()}:3"}
        assert sweep["swept"]["databases"] == 5 and sweep["swept"]["files"] > 0
        kinds = {f"{m['table']}#{m['key']}": m["kinds"] for m in sweep["elsewhere"]
                 if "table" in m}
        assert kinds["crm_notes#1"] == ["email"] and kinds["crm_notes#2"] == ["phone"]
        stored = json.dumps(receipt, ensure_ascii=False).lower()
        assert not [s for s in SECRETS if s in stored]  # locations, never values

        redaction = wb.redact_mentions(sweep["elsewhere"], criteria, run_id=receipt["run_id"])
        assert len(redaction.targets) == len(planted)
        assert [why for _, why in redaction.refused] == [
            "files are not edited: erase the file with its row, or by hand"]
        with pytest.raises(ConfirmationError):
            wb.redact(redaction, "WRONG-TOKEN")
        done = wb.redact(redaction, redaction.token)
        assert done["verified"] and done["redacted"] == len(planted), done
        for location, (_, expected) in planted.items():
            value, raw = _stored(wb, location)
            assert value == expected, location
            assert raw == expected.encode("utf-8"), location  # byte-identical
        assert _stored(wb, "operative.crm_notes.memo#3")[0] == CRM[3][0]

        again = wb.deep_sweep(criteria)
        assert [m.location for m in again.mentions] == []
        assert [(f.store, f.file, f.line) for f in again.files] == [
            ("attachments", FILE.as_posix(), 3)]
        actions = [e.action for e in wb.audit.events()]
        assert {"mentions_redacted", "erasure_refused"} <= set(actions)
        log = json.dumps([e.detail for e in wb.audit.events()], default=str).lower()
        assert not [s for s in SECRETS if s in log]


def test_a_mention_left_in_an_erased_row_makes_the_receipt_not_verified(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        criteria = _criteria(wb)
        result = wb.search(criteria)
        ref = next(r for r in result.refs() if r.table == "contact_events"
                   and r.database == "operative")
        with wb.installation.engines["operative"].begin() as conn:
            conn.execute(text("UPDATE contact_events SET outcome = 'cb 040 1234567' "
                              f"WHERE id = {ref.key}"))
        plan = wb.plan_erasure(Selection.all(wb.search(criteria)), criteria=criteria)
        receipt = wb.erase(plan, plan.token, criteria=criteria)
        assert not receipt["verified"]
        location = f"operative.contact_events.outcome#{ref.key}"
        assert [f"{m['database']}.{m['table']}.{m['column']}#{m['key']}"
                for m in receipt["sweep"]["in_erased_rows"]] == [location]
        assert any(p.startswith(location) for p in receipt["problems"])
        assert "1234567" not in json.dumps(receipt)


def test_a_key_that_mentions_the_person_is_withheld_and_not_redacted(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        engine = wb.installation.engines["outbound"]
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE mail_list (address VARCHAR(254) PRIMARY KEY, "
                              "note TEXT)"))
            conn.execute(text("INSERT INTO mail_list VALUES ('Aino.Jarvinen@example.fi', "
                              "'subscribed'), ('someone@example.fi', 'see aino.jarvinen"
                              "@example.fi')"))
        result = wb.deep_sweep(_criteria(wb))
        listed = {(m.table, m.column, m.key_text) for m in result.mentions
                  if m.table == "mail_list"}
        assert listed == {("mail_list", "address", "(key withheld: it mentions the person)"),
                          ("mail_list", "note", "someone@example.fi")}
        assert "jarvinen" not in json.dumps(result.json()).lower()
        plan = wb.redact_mentions([m for m in result.mentions if m.table == "mail_list"],
                                  _criteria(wb))
        assert [t.location for t in plan.targets] == ["outbound.mail_list.note#someone@example.fi"]
        refused = dict(plan.refused)
        assert "key" in refused["outbound.mail_list.address#(key withheld: it mentions the "
                                "person)"]


def test_a_value_changed_after_the_plan_is_left_alone(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        planted = plant(wb)
        criteria = _criteria(wb)
        found = [m for m in wb.deep_sweep(criteria).mentions if m.location in planted]
        plan = wb.redact_mentions(found, criteria)
        changed = "operative.crm_notes.memo#1"
        with wb.installation.engines["operative"].begin() as conn:
            conn.execute(text("UPDATE crm_notes SET memo = memo || ' (edited)' WHERE id = 1"))
        done = wb.redact(plan, plan.token)
        assert done["left_alone_changed"] == 1 and done["redacted"] == len(planted) - 1
        assert _stored(wb, changed)[0] == CRM[1][0] + " (edited)"


def test_the_sweep_reports_progress_over_every_part(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        calls = []
        result = wb.deep_sweep(_criteria(wb), progress=lambda m, d, t: calls.append((m, d, t)))
        total = calls[0][2]
        assert calls[0][1] == 0 and calls[-1][1] == total == len(calls) - 1
        assert sorted(d for _, d, _ in calls) == list(range(total + 1))
        assert {m for m, _, _ in calls} >= {"swept file store attachments"}
        assert result.databases == 5 and result.tables >= 16


def test_the_command_line_sweeps_redacts_with_the_token_and_verifies_a_run_again(
        tmp_path, capsys):
    from dpo_workbench.cli import main

    with demo_installation(tmp_path) as settings:
        with dw.open_workbench(settings, user="dpo") as wb:
            planted = plant(wb)
            criteria = _criteria(wb)
            plan = wb.plan_erasure(Selection.all(wb.search(criteria)), criteria=criteria)
            run_id = wb.erase(plan, plan.token, criteria=criteria)["run_id"]
        capsys.readouterr()
        base = ["verify", "--config", str(settings), "--phone", AINO.phone, "--email",
                AINO.email]
        assert main(["verify", "--config", str(settings)]) == 2
        assert main([*base, "--deep", "--exclude", "operative.crm_notes#1"]) == 2
        assert main([*base, "--redact"]) == 2
        assert main(["verify", "--config", str(settings), "--run", run_id]) == 0
        assert "verified" in capsys.readouterr().out

        assert main([*base, "--deep"]) == 4  # mentions remain
        out, err = capsys.readouterr()
        for location in planted:
            assert location in out
        assert f"{FILE.as_posix()}, line 3" in out
        assert "[1/" in err and "swept file store attachments" in err  # progress
        assert not [s for s in SECRETS if s in out.lower()]

        keep = "operative.crm_notes#1"
        assert main([*base, "--deep", "--redact", "--exclude", keep]) == 4
        out = capsys.readouterr().out
        token = out.rsplit("--confirm ", 1)[1].split()[0]
        assert f"Redact the person's identifiers inside {len(planted) - 1} value(s)" in out
        assert main([*base, "--deep", "--redact", "--exclude", keep, "--confirm", "NOPE"]) == 6
        capsys.readouterr()
        assert main([*base, "--deep", "--redact", "--exclude", keep, "--confirm", token]) == 4
        assert f"Redacted {len(planted) - 1} value(s)" in capsys.readouterr().out
        assert main([*base, "--deep", "--format", "json", "--run", run_id]) == 4
        report = json.loads(capsys.readouterr().out)
        assert _locations(report["receipt"]["sweep"]["elsewhere"]) == {
            "operative.crm_notes.memo#1", f"attachments:{FILE.as_posix()}:3"}
        assert report["receipt"]["verified"]  # the erasure itself holds; mentions remain


def test_a_name_split_over_two_columns_is_found_and_redacted_whole(tmp_path):
    with demo_installation(tmp_path) as settings, dw.open_workbench(settings) as wb:
        with wb.installation.engines["configuration"].begin() as conn:
            conn.execute(text("CREATE TABLE visitors (id INTEGER PRIMARY KEY, first VARCHAR(50), "
                              "last VARCHAR(50), city VARCHAR(50), memo TEXT)"))
            conn.execute(text("INSERT INTO visitors VALUES (1, ' AINO', 'järvinen', 'Espoo', "
                              "'met JÄRVINEN, Aino at the desk'), (2, 'Aino', 'Virtanen', "
                              "'Espoo', 'Ainola Järvinenkatu 1')"))
        criteria = wb.criteria(first_name="Aino", last_name="Järvinen")
        found = [m for m in wb.deep_sweep(criteria).mentions if m.table == "visitors"]
        assert [(m.column, m.key) for m in found] == [("first", 1), ("last", 1), ("memo", 1)]
        plan = wb.redact_mentions(found, criteria)
        assert wb.redact(plan, plan.token)["redacted"] == 3
        with wb.installation.engines["configuration"].connect() as conn:
            rows = conn.execute(text("SELECT * FROM visitors ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, A, A, "Espoo", f"met {A} at the desk"),
            (2, "Aino", "Virtanen", "Espoo", "Ainola Järvinenkatu 1")]
