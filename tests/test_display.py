"""Rich display in Jupyter and the DataFrame forms (issue 12, items 5 and "No rich display").

Each object shows as HTML built from escaped text only (no tag, attribute or
script of the data gets through), from the objects' own counts; its repr is short
and holds no personal data; reports, plans and receipts have typed frames.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import demo_installation
from sqlalchemy import event, update

import dpo_workbench as dw
from dpo_workbench.demo.samples import AINO, SOREN, SWITCHBOARD
from dpo_workbench.display import ROWS_SHOWN
from dpo_workbench.erasure.receipt import Receipt
from dpo_workbench.frameforms import PLAN_COLUMNS, RECEIPT_COLUMNS, REPORT_COLUMNS
from dpo_workbench.selection import Selection

#: What an e-mail's sender could write to attack whoever reads it in a browser.
HOSTILE_BODY = ('Hello\n"><img src=x onerror="alert(1)"><script>alert(2)</script>'
                "<svg onload=alert(3)><a href=\"javascript:alert(4)\">x</a>\n& bye")
HOSTILE_SUBJECT = "<iframe src=//evil.example></iframe><style>*{display:none}</style>"
#: The only tags and attributes the display writes.
TAGS = {"div", "h3", "h4", "p", "b", "code", "table", "thead", "tbody", "tr", "th", "td",
        "ul", "li"}
ATTRIBUTES = {"class", "style"}


class _Tags(HTMLParser):
    """The tags, attributes and text of an HTML fragment, and whether it nests properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.styles: set[str] = set()
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.open.append(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name == "style":
                self.styles.add(value or "")

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> does not close its element"

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> _Tags:
    """The fragment parsed, checked to be the display's own markup only."""
    p = _Tags()
    p.feed(html)
    p.close()
    assert p.open == [], p.open
    assert p.tags <= TAGS, p.tags - TAGS
    assert p.attributes <= ATTRIBUTES, p.attributes - ATTRIBUTES
    for style in p.styles:  # inherited colours only: the theme (light or dark) decides
        assert not re.search(r"color|background|url\(", style), style
    return p


@pytest.fixture(scope="module")
def wb(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("display") / "demo-install"
    with demo_installation(folder) as settings, dw.open_workbench(settings, user="t") as wb:
        yield wb


@pytest.fixture(scope="module")
def hostile(wb):
    """Aino's first e-mail contact, its subject and body made hostile in the database."""
    result = wb.search(email=AINO.email)
    row = result.contacts[result.contacts["channel"] == "email"].iloc[0]
    ref = dw.RowRef.from_record(row)
    table = wb.installation.table("operative", "contact_events")
    with wb.installation.engines["operative"].begin() as conn:
        conn.execute(update(table).where(table.c.id == ref.key)
                     .values(subject=HOSTILE_SUBJECT, body=HOSTILE_BODY))
    return ref


def _every_display(wb, result):
    details = wb.details(result.refs("contacts")[0])
    report = wb.report(Selection.all(result), criteria=result.criteria)
    plan = wb.plan_erasure(Selection.all(result), criteria=result.criteria)
    return {"workbench": wb, "search": result, "details": details, "report": report,
            "plan": plan}


def test_hostile_text_in_an_email_body_is_shown_as_text_and_is_inert(wb, hostile):
    result = wb.search(email=AINO.email)
    shown = {"details": wb.details(hostile)._repr_html_(), "search": result._repr_html_(),
             "report": wb.report(Selection.all(result))._repr_html_()}
    texts = {name: "".join(parsed(html).text)  # no <script>, <img>, <svg>, on*=, href
             for name, html in shown.items()}
    for name in ("details", "search"):
        assert "<iframe src=//evil.example></iframe>" in texts[name], name  # as text
        assert "&lt;iframe" not in texts[name], name  # escaped once, not twice
    body = "".join(parsed(shown["details"]).text)
    assert HOSTILE_BODY in body  # the whole body, line breaks kept, as the DPO must read it


def test_each_object_shows_as_html_of_its_own_counts(wb):
    result = wb.search(phone=AINO.phone, email=AINO.email)
    shown = _every_display(wb, result)
    for name, obj in shown.items():
        text = " ".join(parsed(obj._repr_html_()).text)
        assert "http" not in obj._repr_html_(), name  # nothing loaded from anywhere
        if name == "workbench":
            assert all(db in text for db in wb.installation.engines)
            assert "connected, tables checked" in text
        elif name == "search":
            assert f"Search result: {result.total} items" in text
            for g in ("Contacts", "Directory Entries", "Outbound Campaign Customers",
                      "Customer Consents"):
                assert g in text
        elif name == "details":
            assert str(obj.ref) in text and "Files" in text and "wav" in text
        elif name == "report":
            assert f"Report: {obj.total} items" in text
        else:
            assert obj.token in text and "redact: Phone number (remote_number)" in text


def test_a_search_result_shows_a_bounded_number_of_rows_and_says_how_many_more(wb):
    result = wb.search(phone=SWITCHBOARD.phone, start="2000-01-01")
    html = result._repr_html_()
    text = " ".join(parsed(html).text)
    n = len(result.contacts)
    assert n > 1000 and result.too_many
    assert f"… {n - ROWS_SHOWN} more: result.contacts" in text
    assert "narrowing the criteria" in text
    assert html.count("operative.contact_events#") <= ROWS_SHOWN + 2
    assert len(html) < 60_000
    for location in result.not_restricted_by_dates:
        assert location in text


def test_showing_the_workbench_connects_to_no_database(wb):
    checkouts = []
    listeners = [(engine, lambda *a: checkouts.append(1))
                 for engine in wb.installation.engines.values()]
    for engine, listener in listeners:
        event.listen(engine, "checkout", listener)
    try:
        wb._repr_html_()
    finally:
        for engine, listener in listeners:
            event.remove(engine, "checkout", listener)
    assert checkouts == []


def test_repr_is_short_and_holds_no_personal_data(wb):
    # Was: dataclass dumps of 5 to 17 kB, the searched and found values in them.
    result = wb.search(phone=AINO.phone, email=AINO.email)
    shown = _every_display(wb, result)
    personal = {AINO.first_name, AINO.last_name, AINO.email, "1234567", "example.fi",
                *(str(v) for v in shown["details"].fields.values()
                  if isinstance(v, str) and len(v) > 3)}
    for name, obj in shown.items():
        text = repr(obj)
        assert len(text) < 200, (name, text)
        for value in personal:
            assert value.lower() not in text.lower(), (name, value)
    assert repr(Selection.all(result)).startswith(f"Selection({result.total} of {result.total}")


def test_a_report_as_a_frame_has_every_value_typed(wb):
    result = wb.search(phone=AINO.phone)
    report = wb.report(Selection.all(result))
    df = report.to_frame()
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        **{c: str(t) for c, t in REPORT_COLUMNS.items()}, "key": "Int64", "value": "object"}
    assert df.attrs["installation"] == report.installation
    assert set(df["item"]) == {str(d.ref) for _, d in report.items()}
    first = next(d for _, d in report.items())
    record = df[(df["item"] == str(first.ref)) & (df["part"] == "record")]
    assert dict(zip(record["field"], record["value"], strict=True)) == dict(first.fields)
    assert set(df["part"]) <= {"record", "lookup", "child", "file", "copy", "missing"}
    files = df[(df["part"] == "file") & (df["field"] == "size")]
    assert len(files) == sum(len(d.files) for _, d in report.items())
    # an empty report has the same columns and dtypes but the key's
    empty = wb.report(Selection.all(result).unselect(*result.refs())).to_frame()
    assert list(empty.columns) == list(df.columns) and len(empty) == 0
    assert str(empty["part_row"].dtype) == "Int64"


def test_a_plan_as_a_frame_has_one_row_per_table_step(wb):
    result = wb.search(phone=AINO.phone)
    plan = wb.plan_erasure(Selection.all(result))
    df = plan.to_frame()
    assert {c: str(t) for c, t in df.dtypes.items()} == {c: str(t) for c, t in
                                                         PLAN_COLUMNS.items()}
    assert df["rows"].sum() == plan.total_rows
    assert df["files"].sum() == len(plan.files)
    assert set(df["action"]) == {"delete", "anonymize"}
    events = df[(df["database"] == "operative") & (df["table"] == "contact_events")].iloc[0]
    assert events["columns"].startswith("redact: remote_number")
    assert "clear: recording_file" in events["columns"]
    assert df.attrs["token"] == plan.token
    empty = wb.plan_erasure([]).to_frame()
    assert list(empty.dtypes) == list(df.dtypes) and len(empty) == 0


def test_the_receipt_shows_per_table_outcomes_and_stays_the_json_dict(wb):
    result = wb.search(phone=SOREN.phone, email=SOREN.email)
    plan = wb.plan_erasure(Selection.all(result))
    receipt = wb.erase(plan, plan.token, criteria=result.criteria)
    assert isinstance(receipt, Receipt) and isinstance(receipt, dict)
    assert json.loads(json.dumps(receipt))["token"] == plan.token
    assert receipt.verified and repr(receipt).startswith(f"Receipt(run {receipt['run_id']}")
    df = receipt.to_frame()
    assert {c: str(t) for c, t in df.dtypes.items()} == {c: str(t) for c, t in
                                                         RECEIPT_COLUMNS.items()}
    rows = df[df["kind"] == "rows"]
    assert rows["count"].sum() == plan.total_rows
    assert df[(df["kind"] == "files") & (df["outcome"] == "deleted")]["count"].item() == \
        len(plan.files)
    text = " ".join(parsed(receipt._repr_html_()).text)
    assert "Erasure verified" in text and plan.token in text
    assert wb.resume_erasure(receipt["run_id"]) == receipt  # a stored receipt, the same type
    assert isinstance(wb.resume_erasure(receipt["run_id"]), Receipt)


def test_a_receipt_names_the_files_it_could_not_remove():
    receipt = Receipt(run_id="r1", token="ABCD-EFGH-JKLM", user="dpo", started_at="",
                      verified_at="", items=1, verified=False, rows={},
                      files={"deleted": 0, "already_missing": 0, "not_removed": [
                          {"owner": "operative.contact_events#7 recording_file",
                           "status": "unlinked", "why": "<b>it has other hard links</b>"}]},
                      checks=[], problems=["1 file(s) were not removed"], notes=[])
    df = receipt.to_frame()
    row = df[df["owner"].notna()].iloc[0]
    assert (row["database"], row["table"], row["outcome"]) == (
        "operative", "contact_events", "not removed: unlinked")
    text = " ".join(parsed(receipt._repr_html_()).text)
    assert "NOT verified" in text and "<b>it has other hard links</b>" in text


def test_the_analysts_guide_runs(wb, tmp_path, monkeypatch):
    guide = (Path(__file__).resolve().parent.parent / "docs" / "analysts.md").read_text(
        encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", guide, flags=re.S))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code.replace("demo-install/workbench.yaml", str(wb.settings.path)),  # noqa: S102
                 "docs/analysts.md", "exec"), namespace)
    assert namespace["emails_only"].counts()["contacts"][0] > 0  # type: ignore[attr-defined]
    assert len(namespace["just_these"]) == 3 + len(namespace["result"].consents)  # type: ignore
