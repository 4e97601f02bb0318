"""The report in the datamap's words, where the data lives, and the data subject's copy.

Findings: the subject's report held the agents' names (third parties, Art. 15(4)
GDPR) and did not say what was searched; every report spoke in database names
and had no summary of where the person's data lives. The fixed installation
(:mod:`fixed_install`) gets a chat transcript here: the agent Anna Agent and the
customer Eeva write to each other in contact event 102.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixed_install import EMAIL, PHONE, build_fixed_install
from xlsxread import read_xlsx

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.errors import UsageError
from dpo_workbench.report import write_report
from dpo_workbench.report.subject import REDACTED
from dpo_workbench.selection import Selection

AGENT = "Anna Agent"
CREATED = datetime(2025, 6, 30, 15, 0, tzinfo=UTC)
FORMATS = ("csv", "json", "xlsx", "zip")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = build_fixed_install(tmp_path_factory.mktemp("fixed") / "install")
    con = sqlite3.connect(settings.parent / "operative.sqlite")
    con.executemany(
        "INSERT INTO transcript_messages (id, contact_id, seq, sent_at, sender, sender_name, "
        "message) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(601, 102, 1, "2025-03-02 09:31:00", "customer", "Eeva Mäkelä", "Hello, my invoice"),
         (602, 102, 2, "2025-03-02 09:32:00", "agent", AGENT, "Let me check, Eeva."),
         (603, 102, 3, "2025-03-02 09:33:00", "system", None, "Chat ended")])
    con.commit()
    con.close()
    return settings


@pytest.fixture
def install(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template.parent, tmp_path / "install")
    return tmp_path / "install" / template.name


def _reports(install: Path, folder: Path, *, subject_copy: bool, **criteria) -> dict[str, str]:
    """Every format of one report, as text (the zip's and workbook's members joined)."""
    texts = {}
    with dw.open_workbench(install, user="dpo-eeva") as wb:
        result = wb.search(**criteria)
        for fmt in FORMATS:
            path = folder / f"r.{fmt}"
            wb.report(Selection.all(result), criteria=result.criteria, out=path,
                      created_at=CREATED, subject_copy=subject_copy)
            if fmt in ("xlsx", "zip"):
                with zipfile.ZipFile(path) as zf:
                    texts[fmt] = "\n".join(zf.read(n).decode("utf-8", "replace")
                                           for n in zf.namelist())
            else:
                texts[fmt] = path.read_text(encoding="utf-8-sig")
    return texts


def test_subject_copy_redacts_agents_names(install, tmp_path):
    texts = _reports(install, tmp_path, subject_copy=True, phone=PHONE, email=EMAIL)
    for fmt, text in texts.items():
        assert AGENT not in text, fmt  # the lookup's agent and the agent's chat message
        assert REDACTED in text, fmt  # visibly, not silently dropped
        assert "Eeva Mäkelä" in text, fmt  # the person's own name in the chat stays
    rows = list(csv.reader(io.StringIO(texts["csv"], newline="")))
    agent = [r for r in rows if r[2] == "lookup:agent"]
    assert {(r[4], r[5]) for r in agent} == {("display_name", REDACTED)}
    senders = [r[5] for r in rows if r[2] == "child:transcript" and r[4] == "sender_name"]
    assert senders == ["Eeva Mäkelä", REDACTED, ""]  # only the agent's message is redacted
    doc = json.loads(texts["json"])
    assert doc["subject_copy"]["redacted"] == 3  # two items' agent, one chat message


def test_internal_report_keeps_third_parties(install, tmp_path):
    texts = _reports(install, tmp_path, subject_copy=False, phone=PHONE, email=EMAIL)
    for fmt, text in texts.items():
        assert AGENT in text and REDACTED not in text, fmt
        # the DPO's report names no searched value, and says nothing of a copy
        assert "subject's copy" not in text, fmt
    assert "subject_copy" not in json.loads(texts["json"])


def test_subject_copy_states_what_was_searched_and_when(install, tmp_path):
    texts = _reports(install, tmp_path, subject_copy=True, phone=PHONE, email=EMAIL,
                     start="2025-01-01", end="2025-12-31")
    doc = json.loads(texts["json"])["subject_copy"]
    assert doc["searched_installation"] == "Fixed test installation"
    assert doc["searched_email"] == f"{EMAIL} (any letter case)"
    assert doc["searched_phone"] == "358407654321 (compared by the number's last 7 digits)"
    assert doc["searched_dates"] == "from 2025-01-01 to 2025-12-31"
    assert doc["created_at_utc"] == "2025-06-30T15:00:00Z"
    assert "Agent: Agent" in doc["third_parties"]
    assert "Chat transcript: Sender's name when From is agent" in doc["third_parties"]
    # free text cannot be judged mechanically: the copy says that the DPO reviews it
    assert "Free text" in doc["review"] and "reviews" in doc["review"]
    lines = {r[4]: r[5] for r in csv.reader(io.StringIO(texts["csv"], newline=""))
             if r[2] == "report"}
    assert lines["searched_email"] == doc["searched_email"]
    assert lines["created_at_utc"] == "2025-06-30T15:00:00Z"
    assert lines["copy"].startswith("This is the data subject's copy (Art. 15 GDPR)")
    with dw.open_workbench(install) as wb:
        result = wb.search(phone=PHONE)
        report = wb.report(Selection.all(result), criteria=result.criteria, subject_copy=True,
                           created_at=CREATED)
    summary = read_xlsx(_xlsx(report, tmp_path)).values("Summary")
    pairs = {r[0]: r[1] for r in summary if len(r) > 1 and r[0]}
    assert pairs["Phone number"].startswith("358407654321")
    assert pairs["Created at (UTC)"] == "2025-06-30T15:00:00Z"
    assert "Created by" not in pairs  # the DPO's user name is not the person's business


def _xlsx(report, folder: Path) -> bytes:
    write_report(report, folder / "copy.xlsx")
    return (folder / "copy.xlsx").read_bytes()


def test_the_command_line_writes_the_subject_copy_and_audits_it_without_values(install,
                                                                               tmp_path,
                                                                               capsys):
    out = tmp_path / "eeva.json"
    assert main(["report", "-c", str(install), "--phone", PHONE, "--out", str(out),
                 "--subject-copy", "--user", "dpo-eeva"]) == 0
    said = capsys.readouterr().out
    assert "the data subject's copy" in said
    assert AGENT not in out.read_text(encoding="utf-8")
    with dw.open_workbench(install) as wb:
        event = [e for e in wb.audit.events() if e.action.value == "report_created"][-1]
    assert event.detail["subject_copy"] is True and event.detail["redacted"] == 1  # 101's agent
    assert "358407654321" not in json.dumps(event.detail) + json.dumps(dict(event.tables))


def test_the_subject_copy_needs_the_criteria_and_a_format_that_can_state_them(install,
                                                                              tmp_path):
    with dw.open_workbench(install) as wb:
        result = wb.search(phone=PHONE)
        with pytest.raises(UsageError, match="states what was searched"):
            wb.report(Selection.all(result), subject_copy=True)
        with pytest.raises(UsageError, match="csv, json, xlsx or zip"):
            wb.report(Selection.all(result), criteria=result.criteria, subject_copy=True,
                      out=tmp_path / "r.csv", fmt="csv-wide")
    assert list(tmp_path.glob("r.*")) == []


# -- where the data lives --------------------------------------------------------------


def test_report_has_summary_per_group_and_table(install, tmp_path):
    texts = _reports(install, tmp_path, subject_copy=False, phone=PHONE, email=EMAIL)
    summary = json.loads(texts["json"])["summary"]
    assert summary["groups"] == [
        {"group": "contacts", "label": "Contacts", "items": 2},
        {"group": "directory_entries", "label": "Directory Entries", "items": 1},
        {"group": "campaign_customers", "label": "Outbound Campaign Customers", "items": 1},
        {"group": "consents", "label": "Customer Consents", "items": 2}]
    assert [(t["label"], t["database"], t["table"], t["items"], t["copies"])
            for t in summary["tables"]] == [
        ("Contact", "operative", "contact_events", 2, 0),
        ("Contact (monitoring copy)", "monitoring1", "contact_events", 0, 1),
        ("Directory entry", "directory", "directory_entries", 1, 0),
        ("Campaign customer", "outbound", "campaign_customers", 1, 0),
        ("Consent", "operative", "customer_consents", 2, 0)]
    rows = list(csv.reader(io.StringIO(texts["csv"], newline="")))
    assert [r for r in rows if r[2].startswith("summary:")][:2] == [
        ["Contacts", "", "summary:items", "", "operative.contact_events", "2",
         "Items found here", "Contact"],
        ["Contacts", "", "summary:copies", "", "monitoring1.contact_events", "1",
         "Copies held here", "Contact (monitoring copy)"]]
    # summary lines name no item: every line with an item is about that item
    items = {i["item"] for g in json.loads(texts["json"])["groups"].values() for i in g}
    assert {r[1] for r in rows[1:] if r[1]} == items
    # the zip carries the same summary in its manifest, and a picture of it
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        svg = zf.read("summary.svg").decode("utf-8")
    assert manifest["summary"] == summary
    assert svg.startswith("<svg") and "Directory entry (directory.directory_entries)" in svg
    assert "<script" not in svg and "href" not in svg  # self-contained: nothing fetched


def test_xlsx_report_has_summary_chart(install, tmp_path):
    _reports(install, tmp_path, subject_copy=False, phone=PHONE, email=EMAIL)
    data = (tmp_path / "r.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        chart = zf.read(charts[0]).decode("utf-8")
    assert len(charts) == 1 and "<c:barChart>" in chart  # a native bar chart...
    assert "Summary!$A$" in chart and "Summary!$B$" in chart  # ...of the summary's table
    summary = read_xlsx(data).values("Summary")
    start = summary.index(["Table", "Items found here", "Copies held here", "Group",
                           "Location"])
    assert summary[start + 1] == ["Contact", 2, 0, "Contacts", "operative.contact_events"]
    assert read_xlsx(data).formulas == 0


def test_every_format_speaks_the_datamaps_labels(install, tmp_path):
    texts = _reports(install, tmp_path, subject_copy=False, phone=PHONE, email=EMAIL)
    rows = list(csv.reader(io.StringIO(texts["csv"], newline="")))
    number = next(r for r in rows if r[4] == "remote_number" and r[5])
    assert number[6:] == ["Contact", "Phone number"]
    transcript = next(r for r in rows if r[2] == "child:transcript")
    assert transcript[6] == "Chat transcript"
    doc = json.loads(texts["json"])
    contact = doc["labels"]["operative.contact_events"]
    assert contact["label"] == "Contact" and contact["fields"]["remote_number"] == "Phone number"
    assert contact["lookups"]["agent"] == {"label": "Agent", "fields": {"display_name": "Agent"}}
    assert doc["groups"]["contacts"][0]["table_label"] == "Contact"
    assert "Phone number (remote_number)" in texts["xlsx"]
    with dw.open_workbench(install) as wb:
        frame = wb.report(Selection.all(wb.search(phone=PHONE)), created_at=CREATED).to_frame()
    row = frame[frame["field"] == "remote_number"].iloc[0]
    assert (row["table_label"], row["field_label"]) == ("Contact", "Phone number")


@pytest.mark.engines
def test_subject_copy_redacts_agents_on_every_engine(shared_demo):
    from dpo_workbench.demo.samples import AINO

    _, settings = shared_demo
    with dw.open_workbench(settings) as wb:
        result = wb.search(phone=AINO.phone, email=AINO.email)
        internal = wb.report(Selection.all(result), criteria=result.criteria)
        copy = wb.report(Selection.all(result), criteria=result.criteria, subject_copy=True)
    pairs = [(a, b) for (_, a), (_, b) in zip(internal.items(), copy.items(), strict=True)]
    chats = [(x, y) for a, b in pairs for x, y in zip(a.children.rows("transcript") if
                                                      "transcript" in a.children else [],
                                                      b.children.rows("transcript") if
                                                      "transcript" in b.children else [],
                                                      strict=True)]
    agents = [(x, y) for x, y in chats if x["sender"] == "agent"]
    assert agents and all(y["sender_name"] == REDACTED != x["sender_name"] for x, y in agents)
    assert all(x == y for x, y in chats if x["sender"] != "agent")  # the person's own lines
    looked_up = [(a.lookups["agent"], b.lookups["agent"]) for a, b in pairs
                 if "agent" in a.lookups]
    assert looked_up and all(y == {"display_name": REDACTED} != x for x, y in looked_up)
    assert copy.subject is not None and copy.subject.redacted == len(agents) + len(looked_up)
