"""``dpo-workbench datamap draft``: a datamap drafted from a live schema it has never seen.

The schema below is written here, shaped like neither the demo nor the help desk of
test_datamap.py: three databases (one on each engine in turn), text keys (a
primary key and a unique column), a child table by foreign key and one by naming
convention only, a consent table with a yes/no column, file columns, and numeric
ids, digit strings and postal codes that must never be taken for phone numbers.
"""

from __future__ import annotations

import io
import random
import re
import textwrap
import uuid
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import demo_installation, require_engine
from dbservers import server_database
from sqlalchemy import (
    CHAR,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    text,
)

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.datamap import Datamap, load_datamap
from dpo_workbench.datamap.model import humanize
from dpo_workbench.errors import DatamapError

# (database, table, column) of every column that identifies a person, as planted.
PHONES = {("pbx", "calls", "cli"), ("crm", "persons", "mobile_no"),
          ("crm", "persons", "office_tel"), ("crm", "marketing_optin", "msisdn"),
          ("dialer", "targets", "phone_a"), ("dialer", "targets", "phone_b"),
          ("dialer", "dnc_import", "phone")}
IDENTIFYING = PHONES | {
    ("pbx", "calls", "cli_name"), ("pbx", "calls", "reply_to"), ("pbx", "calls", "rec_path"),
    ("pbx", "call_tags", "remark"), ("pbx", "call_notes", "body"),
    ("crm", "persons", "forename"), ("crm", "persons", "surname"),
    ("crm", "persons", "mail_addr"), ("crm", "persons", "street_address"),
    ("crm", "persons", "portrait"), ("crm", "person_docs", "scan"),
    ("crm", "persons", "nick"),  # a nickname, named so that no rule knows it
    ("dialer", "targets", "given_name"), ("dialer", "targets", "family_name"),
    ("dialer", "targets", "email"),
}
#: Numbers that are not phone numbers: integer ids, digit-string ids, postal codes.
NOT_PHONES = {("pbx", "calls", "agent_ext"), ("pbx", "calls", "trunk_no"),
              ("pbx", "calls", "account_no"), ("pbx", "calls", "ticket_ref"),
              ("pbx", "calls", "session_no"), ("crm", "persons", "employee_no"),
              ("crm", "persons", "badge_code"), ("crm", "persons", "postcode"),
              ("crm", "persons", "customer_no"),
              ("dialer", "targets", "zip"), ("dialer", "attempts", "target_id")}


def _schema() -> dict[str, MetaData]:
    pbx, crm, dialer = MetaData(), MetaData(), MetaData()
    Table("calls", pbx, Column("call_uuid", String(36), primary_key=True),
          Column("begun", DateTime, nullable=False), Column("finished", DateTime),
          Column("cli", String(32)), Column("cli_name", String(120)),
          Column("reply_to", String(160)), Column("agent_ext", Integer),
          Column("trunk_no", String(8)), Column("account_no", String(12)),
          Column("ticket_ref", String(12)), Column("session_no", String(16)),
          Column("rec_path", String(200)), Column("disposition", String(20)))
    Table("call_tags", pbx, Column("tag_id", Integer, primary_key=True, autoincrement=False),
          Column("call_uuid", String(36), ForeignKey("calls.call_uuid")),
          Column("tag", String(30)), Column("remark", Text))
    Table("call_notes", pbx, Column("note_no", Integer, primary_key=True, autoincrement=False),
          Column("call_id", String(36)), Column("written", DateTime), Column("body", Text))
    Table("persons", crm, Column("pid", String(12), nullable=False, unique=True),
          Column("forename", String(60)), Column("surname", String(60)),
          Column("nick", String(30)), Column("customer_no", String(10)),
          Column("mobile_no", String(25)), Column("office_tel", String(25)),
          Column("mail_addr", String(120)), Column("street_address", String(200)),
          Column("postcode", String(10)), Column("employee_no", Integer),
          Column("badge_code", String(8)), Column("portrait", String(120)),
          Column("changed", DateTime))
    Table("person_docs", crm, Column("doc_id", Integer, primary_key=True, autoincrement=False),
          Column("pid", String(12), ForeignKey("persons.pid")), Column("kind", String(20)),
          Column("scan", String(200)))
    Table("marketing_optin", crm,
          Column("row_id", Integer, primary_key=True, autoincrement=False),
          Column("msisdn", String(20)), Column("agreed", CHAR(1)), Column("purpose", String(20)),
          Column("recorded", DateTime))
    Table("outreach_campaign", dialer,
          Column("id", Integer, primary_key=True, autoincrement=False),
          Column("title", String(80)), Column("state", String(10)))
    Table("targets", dialer, Column("target_id", Integer, primary_key=True, autoincrement=False),
          Column("campaign_no", Integer, ForeignKey("outreach_campaign.id")),
          Column("given_name", String(50)), Column("family_name", String(50)),
          Column("phone_a", String(30)), Column("phone_b", String(30)),
          Column("email", String(100)), Column("zip", String(10)), Column("loaded_on", Date))
    Table("attempts", dialer, Column("attempt_id", Integer, primary_key=True,
                                     autoincrement=False),
          Column("target_id", Integer), Column("at", DateTime), Column("outcome", String(20)),
          Column("talk_secs", Integer))
    Table("dnc_import", dialer, Column("seq", Integer, nullable=False),
          Column("phone", String(30)), Column("imported", DateTime))
    for md in (pbx, crm, dialer):
        for t in md.tables.values():
            t.dialect_kwargs["mysql_engine"] = "InnoDB"
    return {"pbx": pbx, "crm": crm, "dialer": dialer}


FIRST = ["Öllä", "Åsa", "Jean-Luc", "Zoë", "Mikko", "Anna", "Per", "Siobhán", "Lars", "Eeva"]
LAST = ["Ääpinen", "Lindqvist", "O'Brien", "Müller", "Virtanen", "Berg", "Nyström", "Kask"]
#: The one person the end-to-end search looks for.
SUBJECT_PHONE, SUBJECT_EMAIL = "+46 70-111 22 33", "olla.aapinen@example.se"


def _phone(r: random.Random) -> str:
    n = f"{r.randint(10, 99)}{r.randint(1000000, 9999999)}"
    return r.choice([f"+46 {n[:2]}-{n[2:5]} {n[5:7]} {n[7:]}", f"0{n[:2]} {n[2:5]} {n[5:]}",
                     f"(0{n[:1]}) {n[1:]}", f"0046{n}"])


def _rows(r: random.Random, store: Path) -> dict[str, dict[str, list[dict]]]:
    t0 = datetime(2025, 1, 1, 8)
    calls, tags, notes = [], [], []
    for i in range(80):
        cid = str(uuid.UUID(int=r.getrandbits(128)))
        rec = f"rec/2025/{i % 12 + 1:02d}/{cid}.wav" if i % 4 else None
        if rec and i % 8 == 1:
            (store / "voice" / rec).parent.mkdir(parents=True, exist_ok=True)
            (store / "voice" / rec).write_bytes(b"RIFF")
        calls.append(dict(
            call_uuid=cid, begun=t0 + timedelta(hours=i),
            finished=t0 + timedelta(hours=i, minutes=5),
            cli=SUBJECT_PHONE if i == 0 else _phone(r) if i % 5 else None,
            cli_name=f"{r.choice(FIRST)} {r.choice(LAST)}" if i % 3 else None,
            reply_to=f"{r.choice(['a', 'b', 'c'])}{i}@example.org" if i % 2 else None,
            agent_ext=2000 + i % 40, trunk_no=str(1000 + i % 7),
            account_no=str(r.randint(100000, 999999)),
            ticket_ref=str(r.randint(2024000000, 2025999999)), session_no=f"{i:011d}",
            rec_path=rec, disposition=r.choice(["answered", "abandoned"])))
        if i % 3 == 0:
            tags.append(dict(tag_id=i, call_uuid=cid, tag="vip", remark="Prefers Swedish."))
        if i % 4 == 0:
            notes.append(dict(note_no=i, call_id=cid, written=t0 + timedelta(hours=i),
                              body=f"Call back on {_phone(r)} after 5 pm."))
    persons, docs, optins = [], [], []
    for i in range(50):
        pid = f"P-{i:05d}"
        portrait = f"portraits/{pid}.jpg"
        (store / "pics" / "portraits").mkdir(parents=True, exist_ok=True)
        (store / "pics" / portrait).write_bytes(b"\xff\xd8")
        persons.append(dict(
            pid=pid, forename="Öllä" if i == 0 else r.choice(FIRST),
            surname="Ääpinen" if i == 0 else r.choice(LAST), nick=r.choice(FIRST)[:3] + "ppe",
            customer_no=f"00{r.randint(0, 10**8 - 1):08d}",
            mobile_no=SUBJECT_PHONE if i == 0 else _phone(r),
            office_tel=_phone(r) if i % 2 else None,
            mail_addr=SUBJECT_EMAIL if i == 0 else f"p{i}@example.net",
            street_address=f"Storgatan {i}", postcode=f"{r.randint(0, 99999):05d}",
            employee_no=5000 + i, badge_code=str(r.randint(10000, 99999)),
            portrait=portrait, changed=t0))
        if i % 2 == 0:
            scan = f"scans/{pid}-id.pdf"
            (store / "docs" / "scans").mkdir(parents=True, exist_ok=True)
            (store / "docs" / scan).write_bytes(b"%PDF")
            docs.append(dict(doc_id=i, pid=pid, kind="id card", scan=scan))
        msisdn = "46701112233" if i == 0 else f"467{r.randint(0, 10**8 - 1):08d}"
        optins.append(dict(row_id=i, msisdn=msisdn,
                           agreed=r.choice("YN"), purpose=r.choice(["sms", "calls"]),
                           recorded=t0 + timedelta(days=i)))
    campaigns = [dict(id=i, title=f"Winter {i}", state="open") for i in (1, 2)]
    targets, attempts, dnc = [], [], []
    for i in range(40):
        targets.append(dict(
            target_id=100 + i, campaign_no=1 + i % 2, given_name=r.choice(FIRST),
            family_name=r.choice(LAST), phone_a=SUBJECT_PHONE if i == 0 else _phone(r),
            phone_b=_phone(r) if i % 3 == 0 else None,
            email=f"t{i}@example.com" if i % 2 else None, zip=f"{r.randint(0, 99999):05d}",
            loaded_on=date(2025, 2, 1)))
        attempts += [dict(attempt_id=10 * i + k, target_id=100 + i, at=t0, outcome="no_answer",
                          talk_secs=0) for k in range(2)]
        dnc.append(dict(seq=i, phone=_phone(r), imported=t0))
    return {"pbx": {"calls": calls, "call_tags": tags, "call_notes": notes},
            "crm": {"persons": persons, "person_docs": docs, "marketing_optin": optins},
            "dialer": {"outreach_campaign": campaigns, "targets": targets, "attempts": attempts,
                       "dnc_import": dnc}}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def installation(request, tmp_path):
    """The planted installation; ``crm`` on the engine under test, the others SQLite."""
    require_engine(request.param)
    for store in ("voice", "pics", "docs"):
        (tmp_path / store).mkdir()
    rows = _rows(random.Random(7), tmp_path)
    with server_database(request.param, prefix="dpo_draft") if request.param != "sqlite" \
            else nullcontext() as server_url:
        urls = {db: f"sqlite:///{tmp_path / db}.sqlite" for db in ("pbx", "crm", "dialer")}
        if server_url:
            urls["crm"] = server_url
        for db, md in _schema().items():
            engine = create_engine(urls[db])
            with engine.begin() as conn:
                md.create_all(conn)
                for t in md.sorted_tables:
                    if rows[db][t.name]:
                        conn.execute(insert(t), rows[db][t.name])
            engine.dispose()
        settings = tmp_path / "cc.yaml"
        settings.write_text(textwrap.dedent(f"""
            name: Planted contact centre
            databases:
              pbx: {urls['pbx']}
              crm: {urls['crm']}
              dialer: {urls['dialer']}
            files: {{voice: voice, pics: pics, docs: docs}}
        """), encoding="utf-8")
        yield settings, urls, rows


def _draft(settings: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(["datamap", "draft", "--config", str(settings), *extra], out, err)
    return rc, out.getvalue(), err.getvalue()


def _named(dm: Datamap) -> dict[tuple[str, str, str], str]:
    """Every column the datamap names as personal, with what it names it as."""
    out = {}
    for t in dm.tables:
        for kind, groups in t.match.items():
            out |= {(t.database, t.table, c): kind for g in groups for c in g}
        out |= {(t.database, t.table, c): "identifying" for c in t.identifying}
        out |= {(t.database, t.table, f.column): "file" for f in t.files}
        for ch in t.children:
            out |= {(ch.database, ch.table, c): "identifying" for c in ch.identifying}
            out |= {(ch.database, ch.table, f.column): "file" for f in ch.files}
    return out


def _planted_values(rows: dict) -> set[str]:
    """The personal values planted (a draft and its messages must contain none of them)."""
    wanted = {c for _, _, c in IDENTIFYING}
    return {str(v) for tables in rows.values() for table in tables.values() for row in table
            for c, v in row.items() if c in wanted and v and len(str(v)) > 4}


def test_a_draft_of_an_unseen_schema_names_its_personal_columns_and_passes_check(installation):
    settings, urls, rows = installation
    rc, yaml_text, err = _draft(settings)
    assert rc == 0, err
    assert "add 'datamap: FILE'" in err and "Drafted 5 table(s) with 4 child table(s)" in err
    for value in _planted_values(rows):  # sampled values are never written or printed
        assert value not in yaml_text and value not in err
    path = settings.parent / "draft.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    dm = load_datamap(path)  # loads as written
    named = _named(dm)

    found = IDENTIFYING & set(named)
    ratio = len(found) / len(IDENTIFYING)
    assert ratio >= 0.9, f"{ratio:.0%} named; missing: {sorted(IDENTIFYING - found)}"
    phones = {col for col, kind in named.items() if kind == "phone"}
    assert not phones & NOT_PHONES and not set(named) & NOT_PHONES
    assert phones <= PHONES

    by_table = {t.table: t for t in dm.tables}
    assert {t: by_table[t].group.value for t in by_table} == {
        "calls": "contacts", "persons": "directory_entries", "marketing_optin": "consents",
        "targets": "campaign_customers", "dnc_import": "contacts"}
    assert (by_table["calls"].key, by_table["persons"].key) == ("call_uuid", "pid")  # text keys
    assert by_table["calls"].time == "begun" and by_table["persons"].time is None
    assert by_table["persons"].name is not None and by_table["persons"].name.first == "forename"
    children = {(t.table, c.table, c.parent) for t in dm.tables for c in t.children}
    assert children == {("calls", "call_tags", "call_uuid"),  # a foreign key
                        ("calls", "call_notes", "call_id"),  # the naming convention only
                        ("persons", "person_docs", "pid"), ("targets", "attempts", "target_id")}
    files = {(f.column, f.store, f.kind) for t in dm.tables for f in t.files}
    assert files == {("rec_path", "voice", "audio"), ("portrait", "pics", "image")}
    assert "outreach_campaign: no personal column" in yaml_text  # left out, and said so

    # As written, check accepts everything but the table without a key, and says why.
    datamap_line = f"datamap: {path.name}\n"
    settings.write_text(datamap_line + settings.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DatamapError) as info:
        dw.open_workbench(settings)
    assert [p.split(":")[0] for p in info.value.problems] == ["table dnc_import"]
    assert "NO KEY" in yaml_text and "CREATE UNIQUE INDEX dnc_import_seq_key" in yaml_text

    # The review note addressed as it says (a unique index on the guessed key): accepted.
    engine = create_engine(urls["dialer"])
    with engine.begin() as conn:
        conn.execute(text("CREATE UNIQUE INDEX dnc_import_seq_key ON dnc_import (seq)"))
    engine.dispose()
    with dw.open_workbench(settings) as wb:
        found_items = wb.search(phone="070 111 22 33")
        assert found_items.counts() == {"contacts": 1, "directory_entries": 1,
                                        "campaign_customers": 1, "consents": 1}
        assert wb.search(email=SUBJECT_EMAIL.upper()).directory_entries["_key"].tolist() \
            == ["P-00000"]


def _guess_lines(yaml_text: str) -> list[tuple[int, str]]:
    """The lines that hold a guess: group, key, time, match and identifying items, files,
    erase, child entries."""
    lines = yaml_text.splitlines()
    out = []
    in_children = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent == 4:
            in_children = stripped == "children:"
        guess = re.match(r"(group|key|time|first|last|erase|show):", stripped) \
            or (stripped.startswith("- ") and not stripped.startswith("- #")) \
            or re.match(r"\w+: \{store:", stripped) \
            or (in_children and indent == 6 and stripped.endswith(":"))
        if guess:
            out.append((i, line))
    return out


def test_every_guess_of_the_draft_has_a_review_note_and_the_output_is_guarded(tmp_path):
    from test_datamap import make_helpdesk

    settings = make_helpdesk(tmp_path)
    rc, yaml_text, _ = _draft(settings)
    assert rc == 0
    lines = yaml_text.splitlines()
    guesses = _guess_lines(yaml_text)
    assert len(guesses) > 20
    for i, line in guesses:
        j = i - 1
        while lines[j].lstrip().startswith("#   "):
            j -= 1  # a wrapped note
        assert lines[j].lstrip().startswith("# review: "), f"no review note before {line!r}"

    out = tmp_path / "drafted.yaml"
    assert _draft(settings, "--out", str(out))[0] == 0
    assert out.read_text(encoding="utf-8") == yaml_text
    out.write_text("mine", encoding="utf-8")
    rc, _, err = _draft(settings, "--out", str(out))
    assert rc == 2 and "--force" in err and out.read_text(encoding="utf-8") == "mine"
    assert _draft(settings, "--out", str(out), "--force", "--format", "yaml")[0] == 0
    assert out.read_text(encoding="utf-8") == yaml_text
    rc, _, err = _draft(settings, "--out", str(tmp_path / "nowhere" / "d.yaml"))
    assert rc == 2 and "does not exist" in err


def test_a_draft_without_file_stores_lists_file_columns_as_identifying_and_passes_check(
        tmp_path):
    from test_datamap import make_helpdesk

    settings = make_helpdesk(tmp_path)
    settings.write_text(settings.read_text(encoding="utf-8").split("files:")[0]
                        .replace("helpdesk-datamap.yaml", "drafted.yaml"), encoding="utf-8")
    assert _draft(settings, "--out", str(tmp_path / "drafted.yaml"))[0] == 0
    with dw.open_workbench(settings) as wb:  # as written
        people = wb.installation.datamap.table("people")
        assert "avatar" in people.identifying and not people.files
        assert wb.installation.datamap.table("optins").group.value == "consents"  # yes_no


def test_a_draft_writes_readable_labels_that_check_accepts(tmp_path):
    from test_datamap import make_helpdesk

    settings = make_helpdesk(tmp_path)
    settings.write_text(settings.read_text(encoding="utf-8")
                        .replace("helpdesk-datamap.yaml", "drafted.yaml"), encoding="utf-8")
    assert _draft(settings, "--out", str(tmp_path / "drafted.yaml"))[0] == 0
    yaml_text = (tmp_path / "drafted.yaml").read_text(encoding="utf-8")
    assert "third_party" in yaml_text  # the header says what no guess can: others' data
    with dw.open_workbench(settings) as wb:  # as written: every labelled column exists
        people = wb.installation.datamap.table("people")
    # a DBA starts from readable names, to put in the DPO's words
    assert people.label == "People"
    assert people.labels and all(label == humanize(c) for c, label in people.labels.items())
    assert set(people.labels) >= set(people.show)


@pytest.mark.parametrize("engine", ["sqlite", "mariadb"])
def test_the_demo_draft_overlaps_the_hand_written_datamap(tmp_path, engine):
    """On MariaDB the demo's operative database carries the workbench's indexed virtual
    columns (dpo_p7_remote_number...): they are the workbench's, not personal data."""
    from importlib.resources import files

    require_engine(engine)
    with demo_installation(tmp_path / "demo", {"operative": engine}) as settings:
        rc, yaml_text, err = _draft(settings)
        assert rc == 0, err
        path = settings.parent / "drafted.yaml"
        path.write_text(yaml_text, encoding="utf-8")
        drafted = load_datamap(path)
        hand = load_datamap(files("dpo_workbench.demo") / "datamap.yaml")

        def matched(dm: Datamap) -> set[tuple[str, str, str, str]]:
            return {(t.database, t.table, kind, c) for t in dm.tables
                    for kind, groups in t.match.items() for g in groups for c in g}

        same = matched(hand) & matched(drafted)
        assert len(same) / len(matched(hand)) >= 0.95, sorted(matched(hand) - same)
        # every column the hand-written datamap treats as personal, in whatever role
        named = set(_named(hand)) & set(_named(drafted))
        assert len(named) / len(_named(hand)) >= 0.9, sorted(set(_named(hand)) - named)
        assert "dpo_" not in yaml_text.replace("dpo-workbench", "")
        groups = {(t.database, t.table): t.group for t in drafted.tables}
        assert all(groups[(t.database, t.table)] is t.group for t in hand.tables)
        # the hand-written children are drafted as children, or (outbound_calls, with a
        # phone column of its own) as a table with a note to make it one
        children = {c.table for t in drafted.tables for c in t.children}
        for t in hand.tables:
            for c in t.children:
                assert c.table in children or ("outbound", c.table) in groups
        assert "add 'copy_of: contact_events'" in yaml_text.replace("\n    #   ", " ")

        # the draft passes check as written
        text_ = settings.read_text(encoding="utf-8").replace("datamap: datamap.yaml",
                                                             "datamap: drafted.yaml")
        settings.write_text(text_, encoding="utf-8")
        dw.open_workbench(settings).close()
