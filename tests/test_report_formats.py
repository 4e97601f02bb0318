"""The XLSX workbook and the wide CSV: typed cells, one row per item, nothing a formula.

The fixed installation (:mod:`fixed_install`) gives exact expected cells; small
hand-made reports cover the values a real installation may hold (huge integers,
decimals, dates before 1900, times with an offset, bytes, texts longer than a cell).
The workbooks are read back from their XML (:mod:`xlsxread`), as Excel sees them.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fixed_install import EMAIL, PHONE, build_fixed_install
from test_report import CREATED, NEUTRALISE_CASES
from xlsxread import Cell, read_xlsx

import dpo_workbench as dw
from dpo_workbench.datamap.model import humanize
from dpo_workbench.details import Details
from dpo_workbench.errors import ReportError
from dpo_workbench.report import (
    Report,
    build_report,
    write_report,
    write_wide_csv,
    write_xlsx,
    xlsx_bytes,
    xlsxfile,
)
from dpo_workbench.report.widecsv import FIXED_COLUMNS, TRAILING_COLUMNS
from dpo_workbench.selection import RowRef, Selection

GROUP_SHEETS = ["Contacts", "Directory Entries", "Outbound Campaign Customers",
                "Customer Consents"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixed_install(tmp_path_factory.mktemp("fixed") / "install")


@pytest.fixture(scope="module")
def report(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("copy")
    shutil.copytree(template.parent, folder / "install")
    with dw.open_workbench(folder / "install" / template.name, user="dpo-eeva-case") as wb:
        result = wb.search(phone=PHONE, email=EMAIL)
        return wb.report(Selection.all(result), criteria=result.criteria, created_at=CREATED)


def _one_item(fields: dict, **extra) -> Report:
    """A report of one hand-made Contacts item with ``fields``."""
    d = Details(ref=RowRef("operative", "contact_events", 1), table_id="contact_events",
                group_title="Contacts", fields=fields, lookups=extra.get("lookups", {}),
                children={}, files=(), copies=())
    groups = {g.value: () for g in dw.Group}
    groups["contacts"] = (d,)
    return Report("Test", datetime(2025, 6, 30, 12, 0, tzinfo=UTC), "the phone number", groups,
                  created_by="dpo")


# -- XLSX -----------------------------------------------------------------------------------


def test_report_out_xlsx_is_a_workbook_with_a_sheet_per_group_and_a_row_per_item(report):
    book = read_xlsx(xlsx_bytes(report))
    # every group has its sheet, empty or not; child rows by name, where there are any
    # child sheets by their labels
    assert list(book.sheets) == ["Summary", *GROUP_SHEETS, "E-mail attachments", "Notes",
                                 "Call data", "Customer fields", "Outbound calls", "Files"]
    for sheet, group in zip(GROUP_SHEETS, dw.Group, strict=True):
        rows = book.records(sheet)
        assert [r["item"].value for r in rows] == [str(d.ref) for d in report.groups[group.value]]
    assert book.formulas == 0


def test_xlsx_cells_are_typed_numbers_dates_and_text(report):
    book = read_xlsx(xlsx_bytes(report))
    email, call = book.records("Contacts")
    # numbers are numbers, times are Excel dates, text is text, missing is empty
    assert (email["Id"].kind, email["Id"].value) == ("number", 102)
    started = email["Started (started_at)"]
    assert (started.kind, started.value) == ("date", datetime(2025, 3, 2, 9, 30))
    assert email["Ended at"] is None and email["Wait seconds"] is None
    assert (call["Handling seconds"].kind, call["Handling seconds"].value) == ("number", 261)
    # no quote added
    assert call["Phone number (remote_number)"] == Cell("string", "+358 40 765 4321")
    assert call["copies"].value == "monitoring1.contact_events#101"
    assert call["Agent (lookup:agent.display_name)"].value == "Anna Agent"
    assert call["table"].value == "Contact"
    # the body is exactly the database's text: a string cell, no quote added, no formula
    body = email["Message text (body)"]
    assert body.kind == "string" and not body.formula
    assert body.value.startswith("=SUM(A1) is what the invoice says.\n")
    consent = book.records("Customer Consents")[0]
    value = consent["Value (consent_value)"]
    assert (value.kind, value.value) == ("number", 0)
    assert consent["Phone number"].kind == "string"  # a phone number stays text
    customer = book.records("Outbound Campaign Customers")[0]
    assert customer["Phone 1 (phone1)"].value == "0407654321"  # its leading zero kept


def test_xlsx_child_rows_and_files_are_listed_not_embedded(report):
    book = read_xlsx(xlsx_bytes(report))
    notes = book.records("Notes")
    assert [(n["item"].value, n["row"].value, n["Note (note_text)"].value) for n in notes] == [
        ("operative.contact_events#101", 1, "@callback tomorrow about the invoice")]
    assert notes[0]["Written (created_at)"].kind == "date"
    files = book.records("Files")
    assert [(f["item"].value, f["name"].value, f["status"].value) for f in files] == [
        ("operative.contact_events#102", "lasku maaliskuu.txt", "available"),
        ("operative.contact_events#101", "101.wav", "available"),
        ("directory.directory_entries#11", "11.png", "available"),
        ("outbound.campaign_customers#21", "out-41.wav", "the file is missing from its store")]
    assert files[1]["size"].value == 1644 and files[1]["size"].kind == "number"
    # listed only: the workbook holds no media
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(xlsx_bytes(report))).namelist()
    assert not [n for n in names if n.startswith("xl/media")]


def test_xlsx_summary_says_what_was_searched_when_by_whom_and_the_counts(report):
    summary = read_xlsx(xlsx_bytes(report)).values("Summary")
    pairs = {row[0]: row[1] for row in summary if len(row) > 1 and row[0]}
    assert pairs["Installation"] == "Fixed test installation"
    assert pairs["Created at"] == datetime(2025, 6, 30, 12, 0)
    assert pairs["Created by"] == "dpo-eeva-case"
    assert pairs["Searched for"] == ("the e-mail address (any letter case) or the phone "
                                     "number's last 7 digits")
    assert [pairs[s] for s in GROUP_SHEETS] == [2, 1, 1, 2] and pairs["Total"] == 6
    assert pairs["Files listed (not embedded: the zip report holds them)"] == 4
    assert pairs["Selected items that no longer exist"] == 0
    # the searched values are nowhere in the workbook's summary
    assert PHONE not in str(summary) and EMAIL not in str(summary)


@pytest.mark.parametrize(("cell", "_written"), NEUTRALISE_CASES)
def test_no_xlsx_cell_is_ever_a_formula(cell, _written, tmp_path):
    # every text a spreadsheet could run, in a field, a header and a lookup
    report = _one_item({"body": cell, cell or "empty": "x"},
                       lookups={"agent": {"display_name": cell}})
    write_xlsx(report, tmp_path / "r.xlsx")
    book = read_xlsx((tmp_path / "r.xlsx").read_bytes())
    assert book.formulas == 0
    [row] = book.records("Contacts")
    if cell:
        assert row["Body"].kind == "string" and row["Body"].value == cell  # exactly, no quote
        assert row["Agent: Display name (lookup:agent.display_name)"].value == cell
        assert humanize(cell) in book.values("Contacts")[0]  # a heading: the name made readable
    else:
        assert row["Body"] is None or row["Body"].value == ""


# (value, kind, written as) -- what each database value becomes in a cell
TYPED_CASES = [
    (42, "number", 42),                                          # an integer
    (10 ** 15 - 1, "number", 10 ** 15 - 1),                      # 15 digits: exact in Excel
    (12345678901234567, "string", "12345678901234567"),          # longer: text, no digit lost
    (Decimal("12.50"), "number", 12.5),                          # a decimal Excel holds
    (Decimal("1234567890.1234567"), "string", "1234567890.1234567"),  # one it would round
    (2.5, "number", 2.5),                                        # a float
    (float("nan"), None, None),                                  # NaN: missing
    (None, None, None),                                          # NULL: an empty cell
    (True, "bool", True),                                        # a boolean
    (datetime(2025, 3, 1, 14, 5, 9), "date", datetime(2025, 3, 1, 14, 5, 9)),
    (datetime(2025, 3, 1, 14, 5, 9, tzinfo=timezone(timedelta(hours=2))),  # the wall time
     "date", datetime(2025, 3, 1, 14, 5, 9)),
    (date(2025, 3, 1), "date", datetime(2025, 3, 1)),            # a date
    (time(14, 5, 9), "date", datetime(1899, 12, 30, 14, 5, 9)),  # a time of day
    (date(1753, 1, 1), "string", "1753-01-01"),                  # before 1900: text
    (b"\x01\xff", "string", "01ff"),                             # bytes: hexadecimal
    ("0401234567", "string", "0401234567"),                      # digits stay text
    ("https://example.fi/x", "string", "https://example.fi/x"),  # no hyperlink made
]


@pytest.mark.parametrize(("value", "kind", "written"), TYPED_CASES)
def test_xlsx_cells_take_the_type_of_the_database_value(value, kind, written):
    [row] = read_xlsx(xlsx_bytes(_one_item({"v": value}))).records("Contacts")
    if kind is None:
        assert row["V"] is None
    else:
        assert (row["V"].kind, row["V"].value) == (kind, written)


def test_a_text_longer_than_a_cell_is_cut_visibly_and_counted():
    long = "Mäkelä 😀 " * 4000  # 40,000 characters, 44,000 UTF-16 units
    book = read_xlsx(xlsx_bytes(_one_item({"body": long, "short": "ok"})))
    [row] = book.records("Contacts")
    cut = row["Body"].value
    assert cut.endswith(xlsxfile.CUT_NOTE) and long.startswith(cut.removesuffix(xlsxfile.CUT_NOTE))
    assert len(cut.encode("utf-16-le")) // 2 <= xlsxfile.MAX_CELL_TEXT
    assert row["Short"].value == "ok"
    pairs = {r[0]: r[1] for r in book.values("Summary") if len(r) > 1}
    assert pairs["Texts cut to fit a cell (the CSV and JSON reports hold them whole)"] == 1


def test_a_sheet_over_excels_row_limit_is_an_error_not_a_silent_cut(report, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setattr(xlsxfile, "MAX_ROWS", 2)  # Contacts has two items: one too many
    with pytest.raises(ReportError, match="more rows than an Excel sheet holds"):
        write_xlsx(report, tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_the_same_report_gives_the_same_workbook(report, tmp_path):
    write_report(report, tmp_path / "a.xlsx")
    buf = io.BytesIO()
    write_xlsx(report, buf)
    assert (tmp_path / "a.xlsx").read_bytes() == buf.getvalue()
    assert "2025-06-30T12:00:00Z" in read_xlsx(buf.getvalue()).properties  # the report's time


def test_missing_items_are_on_the_summary(report):
    gone = Report(report.installation, report.created_at, report.search, report.groups,
                  missing={"consents": (RowRef("operative", "customer_consents", 503),)})
    summary = read_xlsx(xlsx_bytes(gone)).values("Summary")
    assert ["Customer Consents", "operative.customer_consents#503",
            "no longer exists (deleted after the search)"] in summary
    assert {r[0]: r[1] for r in summary if len(r) > 1}["Selected items that no longer exist"] == 1


# -- wide CSV -------------------------------------------------------------------------------


def _wide(report: Report, bom: bool = True) -> str:
    buf = io.BytesIO()
    write_wide_csv(report, buf, bom=bom)
    return buf.getvalue().decode("utf-8")


def test_the_wide_csv_has_one_row_per_item_with_its_columns(report):
    text = _wide(report)
    assert text.startswith("\ufeffgroup,item,table,status,Id,Channel,")
    assert _wide(report, bom=False) == text.removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [r["item"] for r in rows] == [str(d.ref) for _, d in report.items()]
    header = list(rows[0])
    assert header[:4] == list(FIXED_COLUMNS) and header[-2:] == list(TRAILING_COLUMNS)
    email, call = rows[0], rows[1]
    assert call["group"] == "Contacts" and call["Started (started_at)"] == "2025-03-01T14:05:09"
    assert call["Handling seconds"] == "261" and call["Ended at"] == "2025-03-01T14:09:30"
    assert call["Agent (lookup:agent.display_name)"] == "Anna Agent"
    assert call["copies"] == "monitoring1.contact_events#101"
    assert call["Call data (child:call_data)"] == ("id=401; data_key=customer_no; "
                                                   "data_value=C-1001")
    assert (call["table"], rows[2]["table"]) == ("Contact", "Directory entry")
    assert call["files"] == ("name=101.wav; kind=audio; size=1644; store=recordings; "
                             "path=2025/03/101.wav; owner=operative.contact_events#101; "
                             "status=available")
    # a directory entry's column, and a consent's
    assert email["First name"] == "" and rows[2]["First name"] == "Eeva"
    consent = rows[-1]
    assert (consent["group"], consent["Consent (consent_type)"],
            consent["Value (consent_value)"]) == ("Customer Consents", "recording", "1")


def test_the_wide_csv_is_formula_neutralised_like_the_long_one(report):
    text = _wide(report).removeprefix("\ufeff")
    cells = [c for r in csv.reader(io.StringIO(text, newline="")) for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'+358 40 765 4321" in cells
    assert any(c.startswith("'=SUM(A1) is what the invoice says.\n") for c in cells)
    # a child row's text is inside its cell, after "id=...": not at the cell's start
    assert "id=301; created_at=2025-03-01T14:10:00; note_text=@callback tomorrow about the " \
           "invoice" in cells


def test_the_wide_csv_lists_missing_items_and_renames_clashing_columns():
    report = _one_item({"item": "a column called item", "status": "active"})
    report = Report(report.installation, report.created_at, report.search, report.groups,
                    missing={"consents": (RowRef("operative", "customer_consents", 9),)})
    rows = list(csv.DictReader(io.StringIO(_wide(report, bom=False), newline="")))
    assert rows[0]["item"] == "operative.contact_events#1"
    assert rows[0]["Item (record:item)"] == "a column called item"
    assert rows[0]["Status (record:status)"] == "active" and rows[0]["status"] == ""
    assert rows[1]["item"] == "operative.customer_consents#9"
    assert rows[1]["status"] == "no longer exists (deleted after the search)"


# -- every engine ---------------------------------------------------------------------------


@pytest.mark.engines
def test_xlsx_and_wide_csv_reports_on_every_engine(shared_demo, tmp_path):
    from dpo_workbench.demo.samples import AINO

    kind, settings = shared_demo
    with dw.open_workbench(settings) as wb:
        result = wb.search(phone=AINO.phone, email=AINO.email)
        report = build_report(wb.installation, Selection.all(result), criteria=result.criteria)
    book = read_xlsx(xlsx_bytes(report))
    assert book.formulas == 0
    contacts = book.records("Contacts")
    assert len(contacts) == result.counts()["contacts"]
    # the driver's types become typed cells on every engine
    assert {r["Started (started_at)"].kind for r in contacts} == {"date"}
    assert {r["Id"].kind for r in contacts} == {"number"}
    assert {r["Phone number (remote_number)"].kind for r in contacts
            if r["Phone number (remote_number)"]} == {"string"}
    rows = list(csv.DictReader(io.StringIO(_wide(report, bom=False), newline="")))
    assert len(rows) == report.total
