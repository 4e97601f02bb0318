# ruff: noqa: E501  (the expected CSV is written out line by line, as the file holds it)
"""Reports: batched details, the exact CSV, JSON, and the zip with its manifest.

Every test uses the fixed installation of :mod:`fixed_install` (hand-written rows
and files), so the CSV can be compared with an exact expected text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from fixed_install import (
    ATTACHMENT,
    EMAIL,
    MISSING_RECORDING,
    PHONE,
    PHOTO,
    RECORDING,
)
from sqlalchemy import event

import dpo_workbench as dw
from dpo_workbench import batches
from dpo_workbench.cli import build_parser
from dpo_workbench.demo.samples import AINO
from dpo_workbench.details import Details, gather_details
from dpo_workbench.report import (
    CSV_COLUMNS,
    FORMATS,
    REGISTRY,
    Report,
    build_report,
    format_for,
    neutralise,
    report_document,
    safe_name,
    write_csv,
    write_json,
    write_report,
    write_zip,
)
from dpo_workbench.selection import RowRef, Selection

CREATED = datetime(2025, 6, 30, 12, 0, 0)

# The whole CSV of a phone-or-e-mail search of the fixed installation, one CSV
# record per string (the e-mail body keeps its own line breaks inside quotes).
# Records end with CR LF; the file starts with a UTF-8 byte-order mark.
EXPECTED_RECORDS = [
    'group,item,part,part_row,field,value,part_label,field_label',
    ',,report,,installation,Fixed test installation,Report,Installation',
    ',,report,,created_at,2025-06-30T12:00:00,Report,Created at',
    ",,report,,search,the e-mail address (any letter case) or the phone number's last 7 digits,Report,Searched for",
    'Contacts,,report,,items,2,Report,Items',
    'Directory Entries,,report,,items,1,Report,Items',
    'Outbound Campaign Customers,,report,,items,1,Report,Items',
    'Customer Consents,,report,,items,2,Report,Items',
    'Contacts,,summary:items,,operative.contact_events,2,Items found here,Contact',
    'Contacts,,summary:copies,,monitoring1.contact_events,1,Copies held here,Contact (monitoring copy)',
    'Directory Entries,,summary:items,,directory.directory_entries,1,Items found here,Directory entry',
    'Outbound Campaign Customers,,summary:items,,outbound.campaign_customers,1,Items found here,Campaign customer',
    'Customer Consents,,summary:items,,operative.customer_consents,2,Items found here,Consent',
    'Contacts,operative.contact_events#102,record,,id,102,Contact,Id',
    'Contacts,operative.contact_events#102,record,,channel,email,Contact,Channel',
    'Contacts,operative.contact_events#102,record,,direction,in,Contact,Direction',
    'Contacts,operative.contact_events#102,record,,queue_id,1,Contact,Queue id',
    'Contacts,operative.contact_events#102,record,,agent_id,1,Contact,Agent id',
    'Contacts,operative.contact_events#102,record,,started_at,2025-03-02T09:30:00,Contact,Started',
    'Contacts,operative.contact_events#102,record,,ended_at,,Contact,Ended at',
    'Contacts,operative.contact_events#102,record,,wait_seconds,,Contact,Wait seconds',
    'Contacts,operative.contact_events#102,record,,handling_seconds,300,Contact,Handling seconds',
    'Contacts,operative.contact_events#102,record,,outcome,answered,Contact,Outcome',
    'Contacts,operative.contact_events#102,record,,remote_number,,Contact,Phone number',
    'Contacts,operative.contact_events#102,record,,remote_address,Eeva.Makela@example.fi,Contact,E-mail address',
    'Contacts,operative.contact_events#102,record,,remote_name,Eeva Mäkelä,Contact,Name given',
    'Contacts,operative.contact_events#102,record,,subject,Invoice question,Contact,Subject',
    'Contacts,operative.contact_events#102,record,,body,"\'=SUM(A1) is what the invoice says.\nIs that right? <script>alert(1)</script>\nEeva",Contact,Message text',
    'Contacts,operative.contact_events#102,record,,recording_file,,Contact,Recording',
    'Contacts,operative.contact_events#102,lookup:agent,,display_name,Anna Agent,Agent,Agent',
    'Contacts,operative.contact_events#102,lookup:queue,,name,Customer Service,Queue,Queue',
    'Contacts,operative.contact_events#102,child:attachments,1,id,201,E-mail attachments,Id',
    'Contacts,operative.contact_events#102,child:attachments,1,file_name,lasku maaliskuu.txt,E-mail attachments,File name',
    'Contacts,operative.contact_events#102,child:attachments,1,content_type,text/plain,E-mail attachments,Type',
    'Contacts,operative.contact_events#102,child:attachments,1,size_bytes,31,E-mail attachments,Size (bytes)',
    'Contacts,operative.contact_events#102,file,1,name,lasku maaliskuu.txt,File,File name',
    'Contacts,operative.contact_events#102,file,1,kind,attachment,File,Kind',
    'Contacts,operative.contact_events#102,file,1,size,31,File,Size (bytes)',
    'Contacts,operative.contact_events#102,file,1,store,attachments,File,Store',
    'Contacts,operative.contact_events#102,file,1,path,2025/03/201.txt,File,Path in the store',
    'Contacts,operative.contact_events#102,file,1,owner,operative.email_attachments#201,File,Row naming it',
    'Contacts,operative.contact_events#102,file,1,status,available,File,Status',
    'Contacts,operative.contact_events#101,record,,id,101,Contact,Id',
    'Contacts,operative.contact_events#101,record,,channel,call,Contact,Channel',
    'Contacts,operative.contact_events#101,record,,direction,in,Contact,Direction',
    'Contacts,operative.contact_events#101,record,,queue_id,1,Contact,Queue id',
    'Contacts,operative.contact_events#101,record,,agent_id,1,Contact,Agent id',
    'Contacts,operative.contact_events#101,record,,started_at,2025-03-01T14:05:09,Contact,Started',
    'Contacts,operative.contact_events#101,record,,ended_at,2025-03-01T14:09:30,Contact,Ended at',
    'Contacts,operative.contact_events#101,record,,wait_seconds,12,Contact,Wait seconds',
    'Contacts,operative.contact_events#101,record,,handling_seconds,261,Contact,Handling seconds',
    'Contacts,operative.contact_events#101,record,,outcome,handled,Contact,Outcome',
    "Contacts,operative.contact_events#101,record,,remote_number,'+358 40 765 4321,Contact,Phone number",
    'Contacts,operative.contact_events#101,record,,remote_address,,Contact,E-mail address',
    'Contacts,operative.contact_events#101,record,,remote_name,Eeva Mäkelä,Contact,Name given',
    'Contacts,operative.contact_events#101,record,,subject,,Contact,Subject',
    'Contacts,operative.contact_events#101,record,,body,,Contact,Message text',
    'Contacts,operative.contact_events#101,record,,recording_file,2025/03/101.wav,Contact,Recording',
    'Contacts,operative.contact_events#101,lookup:agent,,display_name,Anna Agent,Agent,Agent',
    'Contacts,operative.contact_events#101,lookup:queue,,name,Customer Service,Queue,Queue',
    'Contacts,operative.contact_events#101,child:notes,1,id,301,Notes,Id',
    'Contacts,operative.contact_events#101,child:notes,1,created_at,2025-03-01T14:10:00,Notes,Written',
    "Contacts,operative.contact_events#101,child:notes,1,note_text,'@callback tomorrow about the invoice,Notes,Note",
    'Contacts,operative.contact_events#101,child:call_data,1,id,401,Call data,Id',
    'Contacts,operative.contact_events#101,child:call_data,1,data_key,customer_no,Call data,Field',
    'Contacts,operative.contact_events#101,child:call_data,1,data_value,C-1001,Call data,Value',
    'Contacts,operative.contact_events#101,file,1,name,101.wav,File,File name',
    'Contacts,operative.contact_events#101,file,1,kind,audio,File,Kind',
    'Contacts,operative.contact_events#101,file,1,size,1644,File,Size (bytes)',
    'Contacts,operative.contact_events#101,file,1,store,recordings,File,Store',
    'Contacts,operative.contact_events#101,file,1,path,2025/03/101.wav,File,Path in the store',
    'Contacts,operative.contact_events#101,file,1,owner,operative.contact_events#101,File,Row naming it',
    'Contacts,operative.contact_events#101,file,1,status,available,File,Status',
    'Contacts,operative.contact_events#101,copy,1,item,monitoring1.contact_events#101,Copy,Contact (monitoring copy)',
    'Directory Entries,directory.directory_entries#11,record,,id,11,Directory entry,Id',
    'Directory Entries,directory.directory_entries#11,record,,first_name,Eeva,Directory entry,First name',
    'Directory Entries,directory.directory_entries#11,record,,last_name,Mäkelä,Directory entry,Last name',
    'Directory Entries,directory.directory_entries#11,record,,display_name,Mäkelä Eeva,Directory entry,Display name',
    'Directory Entries,directory.directory_entries#11,record,,title,Buyer,Directory entry,Title',
    'Directory Entries,directory.directory_entries#11,record,,department,Purchasing,Directory entry,Department',
    'Directory Entries,directory.directory_entries#11,record,,company,Firma Oy,Directory entry,Company',
    'Directory Entries,directory.directory_entries#11,record,,phone_work,,Directory entry,Work phone',
    'Directory Entries,directory.directory_entries#11,record,,phone_mobile,040 765 4321,Directory entry,Mobile phone',
    'Directory Entries,directory.directory_entries#11,record,,phone_home,,Directory entry,Home phone',
    'Directory Entries,directory.directory_entries#11,record,,email_work,eeva.makela@example.fi,Directory entry,Work e-mail',
    'Directory Entries,directory.directory_entries#11,record,,email_private,,Directory entry,Private e-mail',
    'Directory Entries,directory.directory_entries#11,record,,street,Kauppakatu 1,Directory entry,Street',
    'Directory Entries,directory.directory_entries#11,record,,postal_code,00100,Directory entry,Postal code',
    'Directory Entries,directory.directory_entries#11,record,,city,Helsinki,Directory entry,City',
    'Directory Entries,directory.directory_entries#11,record,,country,FI,Directory entry,Country',
    'Directory Entries,directory.directory_entries#11,record,,notes,,Directory entry,Notes',
    'Directory Entries,directory.directory_entries#11,record,,photo_file,11.png,Directory entry,Photo',
    'Directory Entries,directory.directory_entries#11,record,,updated_at,2025-01-10T08:00:00,Directory entry,Updated at',
    'Directory Entries,directory.directory_entries#11,file,1,name,11.png,File,File name',
    'Directory Entries,directory.directory_entries#11,file,1,kind,image,File,Kind',
    'Directory Entries,directory.directory_entries#11,file,1,size,75,File,Size (bytes)',
    'Directory Entries,directory.directory_entries#11,file,1,store,photos,File,Store',
    'Directory Entries,directory.directory_entries#11,file,1,path,11.png,File,Path in the store',
    'Directory Entries,directory.directory_entries#11,file,1,owner,directory.directory_entries#11,File,Row naming it',
    'Directory Entries,directory.directory_entries#11,file,1,status,available,File,Status',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,id,21,Campaign customer,Id',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,campaign_id,1,Campaign customer,Campaign id',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,first_name,Eeva,Campaign customer,First name',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,last_name,Mäkelä,Campaign customer,Last name',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,phone1,0407654321,Campaign customer,Phone 1',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,phone2,,Campaign customer,Phone 2',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,email,,Campaign customer,E-mail address',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,language,fi,Campaign customer,Language',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,customer_status,called,Campaign customer,Status',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,imported_at,2025-02-15T10:00:00,Campaign customer,Imported',
    'Outbound Campaign Customers,outbound.campaign_customers#21,record,,last_called_at,2025-03-03T11:00:00,Campaign customer,Last called at',
    'Outbound Campaign Customers,outbound.campaign_customers#21,lookup:campaign,,name,Spring offers 2025,Campaign,Campaign',
    'Outbound Campaign Customers,outbound.campaign_customers#21,lookup:campaign,,status,active,Campaign,Campaign status',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:fields,1,id,31,Customer fields,Id',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:fields,1,field_name,contract_no,Customer fields,Field',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:fields,1,field_value,K-778,Customer fields,Value',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:fields,2,id,32,Customer fields,Id',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:fields,2,field_name,interest,Customer fields,Field',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:fields,2,field_value,broadband,Customer fields,Value',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:calls,1,id,41,Outbound calls,Id',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:calls,1,started_at,2025-03-03T11:00:00,Outbound calls,Started',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:calls,1,dialled_number,0407654321,Outbound calls,Number dialled',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:calls,1,call_result,answered,Outbound calls,Result',
    'Outbound Campaign Customers,outbound.campaign_customers#21,child:calls,1,talk_seconds,95,Outbound calls,Talk time (s)',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,name,out-41.wav,File,File name',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,kind,audio,File,Kind',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,size,,File,Size (bytes)',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,store,recordings,File,Store',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,path,2025/03/out-41.wav,File,Path in the store',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,owner,outbound.outbound_calls#41,File,Row naming it',
    'Outbound Campaign Customers,outbound.campaign_customers#21,file,1,status,the file is missing from its store,File,Status',
    'Customer Consents,operative.customer_consents#502,record,,id,502,Consent,Id',
    "Customer Consents,operative.customer_consents#502,record,,phone_number,'+358 40 765 4321,Consent,Phone number",
    'Customer Consents,operative.customer_consents#502,record,,consent_type,marketing,Consent,Consent',
    'Customer Consents,operative.customer_consents#502,record,,given_at,2025-03-01T14:05:40,Consent,Given',
    'Customer Consents,operative.customer_consents#502,record,,consent_value,0,Consent,Value',
    'Customer Consents,operative.customer_consents#502,record,,contact_id,101,Consent,Contact id',
    'Customer Consents,operative.customer_consents#501,record,,id,501,Consent,Id',
    "Customer Consents,operative.customer_consents#501,record,,phone_number,'+358 40 765 4321,Consent,Phone number",
    'Customer Consents,operative.customer_consents#501,record,,consent_type,recording,Consent,Consent',
    'Customer Consents,operative.customer_consents#501,record,,given_at,2025-03-01T14:05:20,Consent,Given',
    'Customer Consents,operative.customer_consents#501,record,,consent_value,1,Consent,Value',
    'Customer Consents,operative.customer_consents#501,record,,contact_id,101,Consent,Contact id',
]
EXPECTED_CSV = "\ufeff" + "".join(r + "\r\n" for r in EXPECTED_RECORDS)


@pytest.fixture
def install(fixed_copy: Path) -> Path:
    """A fresh copy of the fixed installation for each test: erasure changes it."""
    return fixed_copy


@pytest.fixture
def wb(install: Path):
    with dw.open_workbench(install) as workbench:
        yield workbench


@pytest.fixture
def result(wb):
    return wb.search(phone=PHONE, email=EMAIL)


def _report(wb, selection: Selection, result) -> Report:
    return build_report(wb.installation, selection, criteria=result.criteria, created_at=CREATED)


def _csv_text(report: Report, bom: bool = True) -> str:
    buf = io.BytesIO()
    write_csv(report, buf, bom=bom)
    return buf.getvalue().decode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_same_details(a: Details, b: Details) -> None:
    """Details hold DataFrames, which ``==`` cannot compare: compare field by field."""
    assert (a.ref, a.table_id, a.group_title) == (b.ref, b.table_id, b.group_title)
    assert dict(a.fields) == dict(b.fields)
    assert list(a.fields) == list(b.fields)  # the same column order
    assert dict(a.lookups) == dict(b.lookups)
    assert a.files == b.files
    assert a.copies == b.copies
    assert list(a.children) == list(b.children)
    for name in a.children:
        pd.testing.assert_frame_equal(a.children[name], b.children[name])


# -- gather_details -----------------------------------------------------------------------


def test_gathered_details_equal_one_by_one_details_in_every_group(wb, result):
    refs = result.refs()
    # besides the found items: another person's row and a monitoring copy as an item
    refs += [RowRef("operative", "contact_events", 103), RowRef("monitoring1", "contact_events", 101)]
    progress: list[tuple[str, int, int]] = []
    gathered = gather_details(wb.installation, refs, progress=lambda *a: progress.append(a))
    assert gathered.missing == []
    assert progress[-1] == ("read monitoring1.contact_events", 5, 5)  # one step per table
    assert [d.ref for d in gathered] == refs
    for ref, d in zip(refs, gathered, strict=True):
        assert_same_details(d, wb.details(ref))
    assert {d.group_title for d in gathered} == {g.title for g in dw.Group}
    assert_same_details(gather_details(wb.installation, [refs[0]])[0], wb.details(refs[0]))


def test_gathering_reads_in_batches_not_row_by_row(wb, result, monkeypatch):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    for engine in wb.installation.engines.values():
        event.listen(engine, "before_cursor_execute", count)
    contacts = result.refs("contacts")
    gather_details(wb.installation, contacts[:1])
    one = len(statements)
    statements.clear()
    gather_details(wb.installation, contacts)
    # two items cost what one costs: 1 row select, 5 child selects, 2 lookups, 1 copy table
    assert len(statements) == one == 9
    statements.clear()
    # with one key per IN list, every table is read once per item: the chunking works
    monkeypatch.setattr(batches, "CHUNK", 1)
    chunked = gather_details(wb.installation, contacts)
    assert len(statements) == 2 * 9 - 2  # both items share agent and queue: one lookup each
    for d, ref in zip(chunked, contacts, strict=True):
        assert_same_details(d, wb.details(ref))


def test_rows_deleted_after_the_search_are_reported_missing(wb, result, install):
    con = sqlite3.connect(install.parent / "operative.sqlite")
    con.execute("DELETE FROM customer_consents WHERE id = 502")
    con.commit()
    con.close()
    gathered = gather_details(wb.installation, result.refs())
    assert gathered.missing == [RowRef("operative", "customer_consents", 502)]
    assert len(gathered) == len(result.refs()) - 1

    report = _report(wb, Selection.all(result), result)
    assert report.counts["consents"] == 1
    assert report.missing == {"consents": (RowRef("operative", "customer_consents", 502),)}
    text = _csv_text(report)
    assert ("Customer Consents,operative.customer_consents#502,missing,,status,"
            "no longer exists (deleted after the search),Consent,Status\r\n") in text
    assert "customer_consents#502,record" not in text


def test_a_table_outside_the_datamap_is_refused(wb):
    with pytest.raises(dw.NotFound, match=r"configuration\.users is not a table of the datamap"):
        gather_details(wb.installation, [RowRef("configuration", "users", 1)])


# -- CSV ------------------------------------------------------------------------------------


def test_the_csv_is_exactly_the_expected_text(wb, result, tmp_path):
    report = _report(wb, Selection.all(result), result)
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "report.csv"
    write_csv(report, path)
    assert path.read_bytes() == EXPECTED_CSV.encode("utf-8")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfgroup,item,part,part_row,field,value,"
                                      b"part_label,field_label\r\n")
    assert list(path.parent.iterdir()) == [path]  # the temporary file was renamed into place


def test_details_read_one_by_one_give_the_same_csv_and_json(wb, result):
    # gathered details hand the writers their rows; wb.details gives DataFrames
    report = _report(wb, Selection.all(result), result)
    one_by_one = Report(report.installation, report.created_at, report.search,
                        {g: tuple(wb.details(d.ref) for d in items)
                         for g, items in report.groups.items()}, specs=report.specs)
    assert _csv_text(one_by_one) == EXPECTED_CSV
    assert report_document(one_by_one) == report_document(report)


def test_the_byte_order_mark_is_optional_and_text_files_work(wb, result):
    report = _report(wb, Selection.all(result), result)
    assert _csv_text(report, bom=False) == EXPECTED_CSV.removeprefix("\ufeff")
    text = io.StringIO(newline="")
    write_csv(report, text)
    assert text.getvalue() == EXPECTED_CSV


def test_the_csv_reads_back_into_the_documented_columns(wb, result):
    report = _report(wb, Selection.all(result), result)
    rows = list(csv.reader(io.StringIO(_csv_text(report).removeprefix("\ufeff"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {len(r) for r in rows} == {8}
    body = [r for r in rows if r[1] == "operative.contact_events#102" and r[4] == "body"]
    assert body == [["Contacts", "operative.contact_events#102", "record", "", "body",
                     "'=SUM(A1) is what the invoice says.\nIs that right? <script>alert(1)</script>\nEeva",
                     "Contact", "Message text"]]
    parts = {r[2] for r in rows[1:]}
    assert parts == {"report", "summary:items", "summary:copies", "record", "lookup:agent", "lookup:queue", "lookup:campaign",
                     "child:attachments", "child:notes", "child:call_data", "child:fields",
                     "child:calls", "file", "copy"}


def test_deselecting_an_item_and_a_group_removes_exactly_them(wb, result):
    selection = (Selection.all(result)
                 .unselect(RowRef("operative", "contact_events", 101))
                 .unselect_group("consents"))
    text = _csv_text(_report(wb, selection, result))
    expected = [r for r in EXPECTED_RECORDS
                if "operative.contact_events#101," not in r
                and not r.startswith("Customer Consents,operative.")
                and not r.startswith("Customer Consents,,summary:")
                and "monitoring1.contact_events," not in r]
    expected[expected.index("Contacts,,report,,items,2,Report,Items")] = \
        "Contacts,,report,,items,1,Report,Items"
    expected[expected.index("Customer Consents,,report,,items,2,Report,Items")] = \
        "Customer Consents,,report,,items,0,Report,Items"
    expected[expected.index("Contacts,,summary:items,,operative.contact_events,2,"
                            "Items found here,Contact")] = \
        "Contacts,,summary:items,,operative.contact_events,1,Items found here,Contact"
    assert text == "\ufeff" + "".join(r + "\r\n" for r in expected)
    # what is removed is exactly the item's and the group's lines
    removed = set(EXPECTED_RECORDS) - set(expected)
    assert all("contact_events#101" in r or "Customer Consents" in r or "items,2" in r
               or "summary:" in r for r in removed)
    # item 101's lines, two consents', two counts, the summary's lines of the consents,
    # of the copy of 101 and of the contacts' count
    assert len(removed) == 32 + 12 + 2 + 3


# (cell, written as) -- what a spreadsheet would run as a formula gets a quote
NEUTRALISE_CASES = [
    ("=SUM(A1)", "'=SUM(A1)"),            # a formula
    ("+358 40 765 4321", "'+358 40 765 4321"),  # phone numbers start with + too
    ("-2+3", "'-2+3"),                    # arithmetic a spreadsheet would evaluate
    ("@SUM(A1)", "'@SUM(A1)"),            # Lotus-style function call
    ("\t=1", "'\t=1"),                    # a leading tab
    ("\r=1", "'\r=1"),                    # a leading carriage return
    ("a=1", "a=1"),                       # only the first character matters
    ("line\n=SUM(A1)", "line\n=SUM(A1)"),  # a later line is not a formula
    ("", ""),                             # an empty cell stays empty
    ("'quoted", "'quoted"),               # already text: unchanged
]


@pytest.mark.parametrize(("cell", "written"), NEUTRALISE_CASES)
def test_formula_like_cells_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_no_cell_of_the_csv_starts_like_a_formula(wb, result):
    text = _csv_text(_report(wb, Selection.all(result), result)).removeprefix("\ufeff")
    cells = [c for r in csv.reader(io.StringIO(text, newline="")) for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=SUM(A1) is what the invoice says.\nIs that right? <script>alert(1)</script>\nEeva" in cells
    assert "'@callback tomorrow about the invoice" in cells


def test_the_other_persons_data_is_absent(wb, result, tmp_path):
    report = _report(wb, Selection.all(result), result)
    write_zip(report, tmp_path / "r.zip")
    write_json(report, tmp_path / "r.json")
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        texts = [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    texts += [_csv_text(report), (tmp_path / "r.json").read_text(encoding="utf-8")]
    for text in texts:
        for other in ("Olli", "Virtanen", "111 2222", "contact_events#103"):
            assert other not in text


# -- JSON -----------------------------------------------------------------------------------


def test_json_round_trips_with_the_same_counts(wb, result, install, tmp_path):
    report = _report(wb, Selection.all(result), result)
    path = tmp_path / "report.json"
    write_json(report, path)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "Mäkelä".encode() in raw  # ensure_ascii=False: names as they are
    doc = json.loads(raw.decode("utf-8"))
    assert doc["counts"] == report.counts == {"contacts": 2, "directory_entries": 1,
                                              "campaign_customers": 1, "consents": 2}
    assert {g: len(items) for g, items in doc["groups"].items()} == doc["counts"]
    assert doc["installation"] == "Fixed test installation"
    assert doc["created_at"] == "2025-06-30T12:00:00"
    assert doc["search"] == ("the e-mail address (any letter case) or the phone number's "
                             "last 7 digits")
    assert doc["missing"] == []
    email, call = doc["groups"]["contacts"]
    assert email["item"] == "operative.contact_events#102"
    assert email["fields"]["body"].startswith("=SUM(A1)")  # not neutralised: machine-readable
    assert email["fields"]["started_at"] == "2025-03-02T09:30:00"
    assert email["children"]["attachments"] == [{"id": 201, "file_name": "lasku maaliskuu.txt",
                                                 "content_type": "text/plain", "size_bytes": 31}]
    assert call["copies"] == ["monitoring1.contact_events#101"]
    assert call["lookups"] == {"agent": {"display_name": "Anna Agent"},
                               "queue": {"name": "Customer Service"}}
    wav = (install.parent / "files" / "recordings" / RECORDING).read_bytes()
    assert call["files"][0]["sha256"] == _sha256(wav)
    assert "path_in_bundle" not in call["files"][0]
    customer = doc["groups"]["campaign_customers"][0]
    assert customer["lookups"]["campaign"] == {"name": "Spring offers 2025", "status": "active"}
    assert customer["files"][0]["exists"] is False and customer["files"][0]["sha256"] is None
    assert [(c["consent_type"], c["consent_value"]) for c in
            (i["fields"] for i in doc["groups"]["consents"])] == [("marketing", 0), ("recording", 1)]
    # the same document again, from the same report
    again = io.StringIO()
    write_json(report, again)
    assert json.loads(again.getvalue()) == doc


# -- zip ------------------------------------------------------------------------------------


def test_the_zip_manifest_hashes_match_the_members_and_the_source_files(wb, result, install,
                                                                        tmp_path):
    report = _report(wb, Selection.all(result), result)
    path = tmp_path / "report.zip"
    manifest = write_zip(report, path)
    store = install.parent / "files"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        on_disk = json.loads(zf.read("manifest.json"))
        members = {n: zf.read(n) for n in names}
    assert on_disk == manifest
    assert sorted(names) == sorted([
        "report.csv", "report.json", "summary.svg", "manifest.json",
        "files/contacts/operative.contact_events.102/lasku maaliskuu.txt",
        "files/contacts/operative.contact_events.101/101.wav",
        "files/directory_entries/directory.directory_entries.11/11.png",
    ])
    # the manifest covers every member but itself, with true hashes and sizes
    assert sorted(f["path"] for f in manifest["files"]) == sorted(set(names) - {"manifest.json"})
    for f in manifest["files"]:
        assert f["sha256"] == _sha256(members[f["path"]])
        assert f["size"] == len(members[f["path"]])
    by_path = {f["path"]: f["sha256"] for f in manifest["files"]}
    sources = {
        "files/contacts/operative.contact_events.102/lasku maaliskuu.txt": store / "attachments" / ATTACHMENT,
        "files/contacts/operative.contact_events.101/101.wav": store / "recordings" / RECORDING,
        "files/directory_entries/directory.directory_entries.11/11.png": store / "photos" / PHOTO,
    }
    for member, source in sources.items():
        assert by_path[member] == _sha256(source.read_bytes())
    # the CSV inside is the CSV; the JSON inside names each file's place in the bundle
    assert members["report.csv"].decode("utf-8") == EXPECTED_CSV
    doc = json.loads(members["report.json"])
    assert doc["groups"]["contacts"][1]["files"][0]["path_in_bundle"] == \
        "files/contacts/operative.contact_events.101/101.wav"
    assert manifest["counts"] == doc["counts"]
    assert manifest["created_at"] == "2025-06-30T12:00:00"
    # the outbound call's recording is missing from its store: listed, not an error
    assert manifest["missing_files"] == [{
        "item": "outbound.campaign_customers#21", "owner": "outbound.outbound_calls#41",
        "name": "out-41.wav", "kind": "audio", "store": "recordings",
        "path": MISSING_RECORDING, "problem": "the file is missing from its store"}]
    assert manifest["missing_items"] == []


def test_the_same_report_gives_the_same_zip(wb, result, tmp_path):
    report = _report(wb, Selection.all(result), result)
    write_zip(report, tmp_path / "a.zip")
    buf = io.BytesIO()
    write_zip(report, buf)
    assert (tmp_path / "a.zip").read_bytes() == buf.getvalue()


def test_zip_names_cannot_escape_and_do_not_collide(wb, result, install, tmp_path):
    con = sqlite3.connect(install.parent / "operative.sqlite")
    con.execute("UPDATE email_attachments SET file_name = '../../etc/passwd' WHERE id = 201")
    con.execute("INSERT INTO email_attachments VALUES (202, 102, '..\\..\\etc\\PASSWD', "
                "'text/plain', 31, ?)", (ATTACHMENT,))
    con.execute("INSERT INTO email_attachments VALUES (203, 102, '/abs/con.txt', "
                "'text/plain', 31, '../../workbench.yaml')")  # points outside its store
    con.commit()
    con.close()
    manifest = write_zip(_report(wb, Selection.all(result), result), tmp_path / "r.zip")
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        names = zf.namelist()
    folder = "files/contacts/operative.contact_events.102/"
    assert [n for n in names if n.startswith(folder)] == [folder + "_.._etc_passwd",
                                                          folder + "_.._etc_PASSWD (2)"]
    for n in names:
        assert not n.startswith("/") and ".." not in n.split("/") and "\\" not in n
    outside = [m for m in manifest["missing_files"] if m["owner"].endswith("#203")]
    assert outside[0]["problem"] == "its stored path points outside the file store"


# (name, safe name) -- what may reach a zip member's name
SAFE_NAME_CASES = [
    ("lasku maaliskuu.txt", "lasku maaliskuu.txt"),  # spaces are fine
    ("lähete_äö.pdf", "lähete_äö.pdf"),               # letters of any script are kept
    ("../../etc/passwd", "_.._etc_passwd"),           # no traversal
    ("/etc/passwd", "_etc_passwd"),                   # no absolute path
    ("C:\\x\\y.txt", "C__x_y.txt"),                   # no drive or backslash
    ("..", "file"),                                   # nothing left: a fallback
    (".hidden", "hidden"),                            # no hidden files
    ("a\x00b\nc.txt", "a_b_c.txt"),                   # control characters
    ("NUL.txt", "_NUL.txt"),                          # a Windows device name
    ("x" * 200 + ".wav", "x" * 116 + ".wav"),         # long names keep their extension
]


@pytest.mark.parametrize(("name", "safe"), SAFE_NAME_CASES)
def test_safe_names(name, safe):
    assert safe_name(name) == safe


# -- one call -------------------------------------------------------------------------------


def test_a_report_written_by_the_workbench_takes_the_format_of_the_file_name(wb, tmp_path):
    result = wb.search(phone=PHONE, email=EMAIL)
    report = wb.report(Selection.all(result), criteria=result.criteria, out=tmp_path / "r.zip")
    assert report.counts == {"contacts": 2, "directory_entries": 1, "campaign_customers": 1,
                             "consents": 2}
    assert zipfile.is_zipfile(tmp_path / "r.zip")
    write_report(report, tmp_path / "r", "json")  # no extension: the format says
    assert json.loads((tmp_path / "r").read_text(encoding="utf-8"))["counts"] == report.counts
    assert format_for("x.CSV") == "csv" and format_for("x") == "csv"
    with pytest.raises(ValueError, match="formats are csv, csv-wide, json, xlsx, zip"):
        format_for("x.csv", "pdf")
    with pytest.raises(ValueError, match=r"not the json format's extension: end it in \.json"):
        write_report(report, tmp_path / "r.out.csv", "json")
    assert not (tmp_path / "r.out.csv").exists()


def test_every_registered_format_is_chosen_written_and_offered_by_the_command_line(wb, result,
                                                                                  tmp_path):
    report = _report(wb, Selection.all(result), result)
    assert tuple(REGISTRY) == FORMATS
    for f in REGISTRY.values():
        path = tmp_path / f"r-{f.name}{f.extension.upper()}"
        # an extension chooses the first format that has it (.csv: the long form)
        chosen = next(g.name for g in REGISTRY.values() if g.extension == f.extension)
        assert format_for(path) == chosen and format_for(path, f.name) == f.name
        write_report(report, path, f.name)
        buf = io.BytesIO()  # every writer takes an open binary file
        f.write(report, buf, bom=True)
        assert buf.getvalue() == path.read_bytes()
        assert build_parser().parse_args(["report", "-c", "x.yaml", "--out", "y",
                                          "--format", f.name]).format == f.name
    assert zipfile.is_zipfile(tmp_path / "r-zip.ZIP") and zipfile.is_zipfile(tmp_path / "r-xlsx.XLSX")
    assert json.loads((tmp_path / "r-json.JSON").read_bytes())["counts"] == report.counts
    assert (tmp_path / "r-csv.CSV").read_bytes().decode("utf-8") == _csv_text(report)


# -- every engine ---------------------------------------------------------------------------


@pytest.mark.engines
def test_gathered_details_and_reports_on_every_engine(shared_demo, tmp_path):
    kind, settings = shared_demo
    with dw.open_workbench(settings) as wb:
        # every group, a monitoring-only copy among the contacts, files of every kind
        result = wb.search(phone=AINO.phone, email=AINO.email, first_name=AINO.first_name,
                           last_name=AINO.last_name)
        refs = result.refs()
        gathered = gather_details(wb.installation, refs)
        assert gathered.missing == [] and len(gathered) == len(refs)
        for ref, d in zip(refs, gathered, strict=True):
            assert_same_details(d, wb.details(ref))
        report = build_report(wb.installation, Selection.all(result),
                              criteria=result.criteria, created_at=CREATED)
        manifest = write_zip(report, tmp_path / f"{kind}.zip")
    assert report.counts == result.counts()
    with zipfile.ZipFile(tmp_path / f"{kind}.zip") as zf:
        for f in manifest["files"]:
            assert _sha256(zf.read(f["path"])) == f["sha256"]
        doc = json.loads(zf.read("report.json"))
    assert doc["counts"] == result.counts()


def test_a_report_is_audit_logged_without_personal_data(wb, result, tmp_path):
    wb.report(Selection.all(result).unselect_group("consents"), criteria=result.criteria,
              out=tmp_path / "r.csv", created_at=CREATED)
    event = [e for e in wb.audit.events() if e.action == "report_created"][-1]
    assert dict(event.tables) == {"operative.contact_events": 2,
                                  "directory.directory_entries": 1,
                                  "outbound.campaign_customers": 1}
    assert dict(event.detail) == {"items": 4, "missing": 0, "format": "csv"}
    assert event.criteria_hash == wb.audit.criteria_hash(result.criteria)
    # The hashes are random hexadecimal text that may contain "765" by chance.
    readable = {k: v for k, v in event.to_dict().items()
                if k not in ("hash", "prev_hash", "criteria_hash")}
    assert "765" not in json.dumps(readable) and "eeva" not in json.dumps(readable)
