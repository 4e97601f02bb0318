"""The report as one CSV file in *wide* form: one line per item, its columns side by side.

The long CSV (:mod:`.csvfile`) has one value a line and is the complete record a
DPO hands over; the wide form is for analysis in a spreadsheet or pandas
(``pd.read_csv(path, encoding="utf-8-sig")``), where one item is one row.

The wide CSV layout
-------------------
One header line, then one line per item, in group order, then search order:

=====================  ======================================================
column                 holds
=====================  ======================================================
``group``              the group's title (``Contacts``...)
``item``               ``database.table#key``
``table``              the label of the item's table (``Contact``)
``status``             empty, or why the item is not there (deleted after the
                       search: its other cells are empty)
*each record column*   the item's own columns, in the order they first
                       appear (items of different tables share a column when
                       their tables share its name; an item's cell is empty
                       when its table has no such column)
``lookup:<n>.<col>``   the shown columns of a looked-up row (agent, campaign...)
``child:<name>``       the item's child rows, one line of the cell per row, each
                       ``column=value; column=value``
``files``              one line per file: ``name=...; kind=...; size=...;
                       store=...; path=...; owner=...; status=...``
``copies``             the item's copies in other databases, one per line
=====================  ======================================================

The headings of record, lookup and child columns are the datamap's labels with
the technical name beside them: ``Phone number (remote_number)``, ``Agent: Agent
(lookup:agent.display_name)``, ``Chat transcript (child:transcript)``; a column
that tables label differently lists each label (``Started / Imported
(started_at)``). A record column named like one of the fixed columns is written as
``record:<name>``. Values are written as in the long CSV (ISO 8601 times, empty
for a missing value, see :func:`~dpo_workbench.values.cell_text`), every cell
formula-neutralised (:func:`~dpo_workbench.report.csvfile.neutralise`), CR LF
line ends, UTF-8 with a byte-order mark unless ``bom=False``. What was searched,
when, the counts and where the data lives are not repeated on every line: the long
CSV, the JSON and the XLSX summary sheet hold them (and the ``table`` column gives
the counts per table in a pivot). The subject's copy, which must state them, is
not written in this form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..datamap import Group
from ..details import Details, child_records
from ..values import cell_text
from .csvfile import FILE_FIELDS, MISSING_ITEM, file_values, write_rows
from .labels import ReportLabels, headed
from .model import Report
from .output import PathOrFile

#: The columns every wide CSV starts with.
FIXED_COLUMNS: tuple[str, ...] = ("group", "item", "table", "status")
#: The columns every wide CSV ends with.
TRAILING_COLUMNS: tuple[str, ...] = ("files", "copies")



def _packed(records: Iterable[Mapping[str, Any]]) -> str:
    """Rows in one cell: ``column=value; column=value``, one row a line."""
    return "\n".join("; ".join(f"{k}={cell_text(v)}" for k, v in rec.items())
                     for rec in records)


def _record_column(name: str) -> str:
    return f"record:{name}" if name in FIXED_COLUMNS + TRAILING_COLUMNS else name


def _item_cells(d: Details, labels: ReportLabels, headings: dict[str, dict[str, None]],
                ) -> dict[str, str]:
    """An item's cells by column key (the fixed ones but ``group`` and ``status``); the
    labels of its columns are added to ``headings``."""
    tid = d.table_id
    cells = {"item": str(d.ref), "table": labels.table(tid)}
    for k, v in d.fields.items():
        cells[_record_column(k)] = cell_text(v)
        headings.setdefault(_record_column(k), {})[labels.column(tid, k)] = None
    for name, values in d.lookups.items():
        for k, v in values.items():
            key = f"lookup:{name}.{k}"
            cells[key] = cell_text(v)
            headings.setdefault(key, {})[part_heading(labels.lookup(tid, name),
                                                      labels.lookup_column(tid, name, k))] = None
    for name in d.children:
        cells[f"child:{name}"] = _packed(child_records(d, name))
        headings.setdefault(f"child:{name}", {})[labels.child(tid, name)] = None
    cells["files"] = _packed(dict(zip(FILE_FIELDS, file_values(f), strict=True))
                             for f in d.files)
    cells["copies"] = "\n".join(str(c) for c in d.copies)
    return cells


def part_heading(part: str, column: str) -> str:
    """A lookup column's label: ``Campaign: Campaign status``, once when they are one.

    >>> part_heading("Agent", "Agent"), part_heading("Campaign", "Status")
    ('Agent', 'Campaign: Status')
    """
    return part if part == column else f"{part}: {column}"


def wide_rows(report: Report) -> Iterator[list[str]]:
    """The wide CSV's lines, header first, before formula neutralisation.

    Parameters
    ----------
    report : Report

    Yields
    ------
    list of str
        The header, then one line per item (missing items last in their group).

    Examples
    --------
    >>> rows = list(wide_rows(report))
    >>> rows[0][:5]
    ['group', 'item', 'table', 'status', 'Id']
    >>> rows[1][:3]
    ['Contacts', 'operative.contact_events#...', 'Contact']
    """
    lines: list[dict[str, str]] = []
    record: dict[str, None] = {}  # column order of first appearance, per kind of column
    lookup: dict[str, None] = {}
    child: dict[str, None] = {}
    headings: dict[str, dict[str, None]] = {}
    for g, items in report.groups.items():
        title = Group(g).title
        for d in items:
            cells = _item_cells(d, report.labels, headings)
            for column in cells:
                kind = (lookup if column.startswith("lookup:") else
                        child if column.startswith("child:") else record)
                if column not in FIXED_COLUMNS + TRAILING_COLUMNS:
                    kind.setdefault(column)
            lines.append({"group": title, **cells})
        lines += [{"group": title, "item": str(ref),
                   "table": report.labels.location(ref.database, ref.table),
                   "status": MISSING_ITEM}
                  for ref in report.missing.get(g, ())]
    keys = [*FIXED_COLUMNS, *record, *lookup, *child, *TRAILING_COLUMNS]
    yield [k if k in FIXED_COLUMNS + TRAILING_COLUMNS else headed(headings, k) for k in keys]
    for cells in lines:
        yield [cells.get(column, "") for column in keys]


def write_wide_csv(report: Report, path_or_file: PathOrFile, *, bom: bool = True) -> None:
    """Write the report as a wide CSV: one line per item (layout in the module notes).

    Parameters
    ----------
    report : Report
    path_or_file : path, text file or binary file
        A path is written atomically. A text file should be opened with
        ``newline=""`` so line breaks in values survive.
    bom : bool
        Start with a UTF-8 byte-order mark, so that Excel reads UTF-8 (default).

    Examples
    --------
    >>> import csv
    >>> write_wide_csv(report, "wide.csv")
    >>> with open("wide.csv", encoding="utf-8-sig", newline="") as f:
    ...     rows = list(csv.DictReader(f))
    >>> len(rows) == report.total, rows[0]["group"]
    (True, 'Contacts')
    """
    write_rows(path_or_file, wide_rows(report), bom=bom)
