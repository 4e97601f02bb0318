"""The report as an Excel workbook (XLSX): a sheet per group, one row per item, typed cells.

The workbook layout
-------------------
=====================  ======================================================
sheet                  rows
=====================  ======================================================
``Summary``            the installation, when the report was made and by whom,
                       what was searched (in words, without the searched
                       values), the items per group, where the data lives
                       (per table: its label, location, items found and copies
                       held) with a bar chart of the items per table, the
                       selected items that no longer exist, and how many files
                       and cells follow. The subject's copy also states what it
                       redacts and why, what was searched with its values and
                       when (UTC), and does not name the DPO's user
*one per group*        ``Contacts``, ``Directory Entries``, ``Outbound Campaign
                       Customers``, ``Customer Consents`` (every group, empty
                       ones too): one row per item, columns ``item``, ``table``
                       (its label), then the item's own columns, its lookups'
                       and ``copies``, headed like the wide CSV's (see
                       :mod:`.widecsv`: ``Phone number (remote_number)``)
*one per child name*   the items' child rows, named by their label (``E-mail
                       attachments``, ``Notes``...): ``group``, ``item``,
                       ``row`` (from 1), then their columns, labelled
``Files``              every file of the items, listed, not embedded (the zip
                       format holds the files): ``group``, ``item``, ``owner``,
                       ``name``, ``kind``, ``size``, ``store``, ``path``, ``status``
=====================  ======================================================

Cells are typed: numbers are numbers, times are Excel dates and times (as the
database gave them, without a UTC offset), booleans are booleans, a missing value
is an empty cell, and everything else is text. Integers of more than 15 digits and
decimals Excel cannot hold exactly are written as text, so that no digit is lost,
and so are dates before 1900, which Excel cannot show.

**No cell is ever a formula.** Every text is written as a string cell (never
through xlsxwriter's guessing ``write()``, and with ``strings_to_formulas``,
``strings_to_urls`` and ``strings_to_numbers`` off), so a value starting with
``= + - @``, a tab or a carriage return stays text; unlike the CSV, no quote is
put in front (the text is exactly the database's).

Excel holds at most 32,767 characters in a cell and 1,048,576 rows in a sheet. A
longer text is cut, says so at its end, and is counted on the summary sheet (the
CSV and JSON reports hold the whole text); a sheet that would need more rows
raises :class:`~dpo_workbench.errors.ReportError` rather than leave items out.
The workbook is built in memory (no temporary files with the items' data) and
written atomically; one report always gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from ..datamap import Group
from ..details import Details, child_records
from ..errors import ReportError
from ..values import json_value, plain
from .csvfile import FILE_FIELDS, SUMMARY_LABELS, file_values
from .labels import ReportLabels, headed, with_name
from .model import Report
from .output import PathOrBinary, binary_out
from .widecsv import MISSING_ITEM, part_heading

#: What Excel holds in one cell (UTF-16 code units) and in one sheet (rows).
MAX_CELL_TEXT = 32_767
MAX_ROWS = 1_048_576
#: The end of a text cut to fit a cell.
CUT_NOTE = " [cut: Excel holds 32,767 characters in a cell; the CSV and JSON reports hold all]"
_MAX_EXACT_DIGITS = 15  # significant digits a spreadsheet number keeps
_SUMMARY = "Summary"
_FILES = "Files"
_FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})
_WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False,
                     "strings_to_urls": False, "strings_to_numbers": False}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Book:
    """The workbook being written: its formats, sheet names and counters."""

    def __init__(self, buf: io.BytesIO):
        import xlsxwriter  # imported when a workbook is written: the CLI starts without it

        self.wb = xlsxwriter.Workbook(buf, _WORKBOOK_OPTIONS)
        self.header = self.wb.add_format({"bold": True, "bottom": 1})
        self.label = self.wb.add_format({"bold": True})
        self.formats = {"datetime": self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
                        "date": self.wb.add_format({"num_format": "yyyy-mm-dd"}),
                        "time": self.wb.add_format({"num_format": "hh:mm:ss"})}
        self.names: set[str] = set()
        self.cut = 0

    def sheet(self, title: str) -> Any:
        """A new sheet, its name made valid (31 characters, no ``[]:*?/\\``) and unique."""
        base = title.translate(_FORBIDDEN_IN_SHEET_NAMES).strip("'")[:31] or "Sheet"
        name, n = base, 1
        while name.casefold() in self.names or name.casefold() == "history":
            n += 1
            name = f"{base[:31 - len(str(n)) - 1]} {n}"
        self.names.add(name.casefold())
        return self.wb.add_worksheet(name)

    def text(self, ws: Any, row: int, col: int, value: str) -> None:
        """A string cell, never a formula; cut (and counted) when it exceeds a cell."""
        if len(value) > MAX_CELL_TEXT // 2 and _utf16_len(value) > MAX_CELL_TEXT:
            units = 2 * (MAX_CELL_TEXT - len(CUT_NOTE))
            # A character outside the BMP split in two is dropped, not mangled.
            value = value.encode("utf-16-le")[:units].decode("utf-16-le", "ignore") + CUT_NOTE
            self.cut += 1
        ws.write_string(row, col, value)

    def cell(self, ws: Any, row: int, col: int, value: Any) -> None:
        """A cell typed from the database value."""
        value = plain(value)
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif isinstance(value, int | float | Decimal) and _exact_number(value):
            ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value)
        elif isinstance(value, datetime | date | time) and _excel_time(value):
            kind = ("datetime" if isinstance(value, datetime) else
                    "date" if isinstance(value, date) else "time")
            if isinstance(value, datetime | time) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # the wall time, as the database gave it
            ws.write_datetime(row, col, value, self.formats[kind])
        else:
            self.text(ws, row, col, str(json_value(value)))

    def table(self, ws: Any, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """A header and typed rows, a filter, the header frozen; return the rows written."""
        for col, name in enumerate(header):
            ws.write_string(0, col, name, self.header)
        widths = [min(max(len(h), 8), 60) for h in header]
        n = 0
        for n, values in enumerate(rows, start=1):
            if n >= MAX_ROWS:
                raise ReportError("the report has more rows than an Excel sheet holds "
                                  f"({MAX_ROWS - 1:,}): write it as CSV or JSON instead.")
            for col, value in enumerate(values):
                self.cell(ws, n, col, value)
                widths[col] = min(max(widths[col], _width(value)), 60)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width + 2)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, n, max(len(header) - 1, 0))
        return n


def _exact_number(value: int | float | Decimal) -> bool:
    """Whether a spreadsheet number holds the value exactly as the database has it."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return abs(value) < 10 ** _MAX_EXACT_DIGITS
    return value.is_finite() and len(value.normalize().as_tuple().digits) <= _MAX_EXACT_DIGITS


def _excel_time(value: date | time) -> bool:
    """Whether Excel can show the value as a date (from 1900 on) or a time."""
    return isinstance(value, time) or value.year >= 1900


def _width(value: Any) -> int:
    """Roughly the characters a value needs (its longest line)."""
    if isinstance(value, datetime):
        return 19
    text = "" if value is None else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _ordered(columns: Iterable[Iterable[str]]) -> list[str]:
    """The union of column lists, in the order the columns first appear."""
    return list(dict.fromkeys(c for cols in columns for c in cols))


def _group_sheet(book: _Book, title: str, items: Sequence[Details], labels: ReportLabels,
                 ) -> str:
    """One row per item: ``item``, its table, columns, lookups, copies; return the sheet's name."""
    headings: dict[str, dict[str, None]] = {}
    records, lookups = [], []
    for d in items:
        tid = d.table_id
        records.append({_clash(f): v for f, v in d.fields.items()})
        for f in d.fields:
            headings.setdefault(_clash(f), {})[labels.column(tid, f)] = None
        lookups.append({f"lookup:{name}.{k}": v for name, values in d.lookups.items()
                        for k, v in values.items()})
        for name, values in d.lookups.items():
            for k in values:
                headings.setdefault(f"lookup:{name}.{k}", {})[part_heading(
                    labels.lookup(tid, name), labels.lookup_column(tid, name, k))] = None
    fields = _ordered(records)
    looked_up = _ordered(lookups)
    header = ["item", "table", *(headed(headings, k) for k in [*fields, *looked_up]), "copies"]
    rows = ([str(d.ref), labels.table(d.table_id), *(rec.get(f) for f in fields),
             *(lk.get(c) for c in looked_up), "\n".join(str(c) for c in d.copies) or None]
            for d, rec, lk in zip(items, records, lookups, strict=True))
    ws = book.sheet(title)
    book.table(ws, header, rows)
    return str(ws.name)


def _clash(name: str) -> str:
    """A record column named like a fixed column of a group sheet, renamed."""
    return f"record:{name}" if name in ("item", "table", "copies") else name


def _child_sheets(book: _Book, report: Report) -> None:
    """One sheet per child name, named by its label: each child row with its item."""
    by_name: dict[str, list[tuple[str, str, int, dict[str, Any]]]] = {}
    titles: dict[str, str] = {}
    headings: dict[str, dict[str, None]] = {}
    labels = report.labels
    for group, d in report.items():
        for name in d.children:
            titles.setdefault(name, labels.child(d.table_id, name))
            for i, rec in enumerate(child_records(d, name), start=1):
                by_name.setdefault(name, []).append((group.title, str(d.ref), i, rec))
                for c in rec:
                    headings.setdefault(f"{name}\0{c}", {})[
                        labels.child_column(d.table_id, name, c)] = None
    for name, rows in by_name.items():
        columns = _ordered(rec for *_, rec in rows)
        header = ["group", "item", "row",
                  *(with_name(" / ".join(headings[f"{name}\0{c}"]),
                              f"child:{c}" if c in ("group", "item", "row") else c)
                    for c in columns)]
        book.table(book.sheet(titles[name]), header,
                   ([g, item, i, *(rec.get(c) for c in columns)] for g, item, i, rec in rows))


def _files_sheet(book: _Book, report: Report) -> int:
    """Every file of the items, listed (not embedded); return how many."""
    rows = [[group.title, str(d.ref), *file_values(f)] for group, d in report.items()
            for f in d.files]
    header = ["group", "item", *FILE_FIELDS]
    return book.table(book.sheet(_FILES), header, rows)


def _summary(book: _Book, ws: Any, report: Report, files: int,
             sheets: Mapping[str, str]) -> None:
    """What was searched, when, by whom, and the counts (written last: it counts the rest)."""
    created = report.created_at
    rows: list[tuple[str, Any]] = [
        ("Installation", report.installation),
        ("Created at", created),
        ("Created at (ISO 8601)", created.isoformat()),
        ("Created by", report.created_by or "(not recorded)"),
        ("Searched for", report.search or "(not recorded)"),
    ]
    if report.subject is not None:  # the person's copy: not the DPO's user name
        rows = [r for r in rows if r[0] != "Created by"]
        rows += [(label, value) for _, label, value in report.subject.statement()]
    for r, (label, value) in enumerate(rows):
        ws.write_string(r, 0, label, book.label)
        book.cell(ws, r, 1, value)
    r = len(rows) + 1
    for col, name in enumerate(("Group", "Items", "Sheet")):
        ws.write_string(r, col, name, book.header)
    for g, n in report.counts.items():
        r += 1
        ws.write_string(r, 0, Group(g).title)
        ws.write_number(r, 1, n)
        ws.write_string(r, 2, sheets[g])
    r += 1
    ws.write_string(r, 0, "Total", book.label)
    ws.write_number(r, 1, report.total)
    r = _where(book, ws, report, r + 2) + 2
    notes = [("Files listed (not embedded: the zip report holds them)", files),
             ("Selected items that no longer exist", report.missing_count),
             ("Texts cut to fit a cell (the CSV and JSON reports hold them whole)", book.cut)]
    for label, n in notes:
        ws.write_string(r, 0, label, book.label)
        ws.write_number(r, 1, n)
        r += 1
    for g, refs in report.missing.items():
        for ref in refs:
            ws.write_string(r, 0, Group(g).title)
            ws.write_string(r, 1, str(ref))
            ws.write_string(r, 2, MISSING_ITEM)
            r += 1
    ws.set_column(0, 0, 62)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 4, 24)


def _where(book: _Book, ws: Any, report: Report, r: int) -> int:
    """Where the data lives, per table, and a bar chart of it; return the last row used."""
    ws.write_string(r, 0, "Where the data lives", book.label)
    r += 1
    for col, name in enumerate(("Table", SUMMARY_LABELS["items"], SUMMARY_LABELS["copies"],
                                "Group", "Location")):
        ws.write_string(r, col, name, book.header)
    first = r + 1
    for w in report.where():
        r += 1
        ws.write_string(r, 0, w.label)
        ws.write_number(r, 1, w.items)
        ws.write_number(r, 2, w.copies)
        ws.write_string(r, 3, Group(w.group).title)
        ws.write_string(r, 4, w.location)
    if r >= first:  # a small chart read at a glance: how many items each table holds
        chart = book.wb.add_chart({"type": "bar"})
        for col, colour in ((1, "#4472C4"), (2, "#A5A5A5")):
            chart.add_series({"name": [ws.name, first - 1, col],
                              "categories": [ws.name, first, 0, r, 0],
                              "values": [ws.name, first, col, r, col],
                              "fill": {"color": colour}, "data_labels": {"value": True}})
        chart.set_title({"name": "Items per table"})
        chart.set_y_axis({"reverse": True})  # the tables in the order of the list
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 520, "height": 60 + 34 * (r - first + 1)})
        ws.insert_chart(first - 1, 6, chart)
    return r


def xlsx_bytes(report: Report) -> bytes:
    """The workbook of a report (layout in the module notes).

    Parameters
    ----------
    report : Report

    Returns
    -------
    bytes
        The XLSX file.

    Raises
    ------
    ReportError
        A sheet would need more rows than Excel holds.

    Examples
    --------
    >>> import zipfile
    >>> data = xlsx_bytes(report)
    >>> "xl/worksheets/sheet1.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    True
    """
    buf = io.BytesIO()
    book = _Book(buf)
    created = report.created_at
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    # The report's own time, not now: one report always gives the same bytes.
    book.wb.set_properties({"title": f"Report: {report.installation}",
                            "author": report.created_by, "created": created,
                            "comments": "made by dpo-workbench"})
    summary = book.sheet(_SUMMARY)
    sheets = {}
    for g, items in report.groups.items():
        sheets[g] = _group_sheet(book, Group(g).title, items, report.labels)
    _child_sheets(book, report)
    files = _files_sheet(book, report)
    _summary(book, summary, report, files, sheets)
    book.wb.close()
    return buf.getvalue()


def write_xlsx(report: Report, path_or_file: PathOrBinary, *, bom: bool = True) -> None:
    """Write the report as an XLSX workbook (``bom`` is for CSV and ignored here).

    Parameters
    ----------
    report : Report
    path_or_file : path or binary file
        A path is written atomically; an open binary file need not be seekable.

    Examples
    --------
    >>> write_xlsx(report, "report.xlsx")
    >>> import zipfile; zipfile.is_zipfile("report.xlsx")
    True
    """
    data = xlsx_bytes(report)
    with binary_out(path_or_file) as out:
        out.write(data)
