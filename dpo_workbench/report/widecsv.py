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
``status``             empty, or why the item is not there (deleted after the
                       search: its other cells are empty)
*each record column*   the item's own columns, by name, in the order they first
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

A record column named like one of the fixed columns is written as
``record:<name>``. Values are written as in the long CSV (ISO 8601 times, empty
for a missing value, see :func:`~dpo_workbench.values.cell_text`), every cell
formula-neutralised (:func:`~dpo_workbench.report.csvfile.neutralise`), CR LF
line ends, UTF-8 with a byte-order mark unless ``bom=False``. What was searched,
when and the counts are not repeated on every line: the long CSV, the JSON and
the XLSX summary sheet hold them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..datamap import Group
from ..details import Details
from ..values import cell_text
from .csvfile import FILE_FIELDS, MISSING_ITEM, file_values, write_rows
from .model import Report, child_records
from .output import PathOrFile

#: The columns every wide CSV starts with.
FIXED_COLUMNS: tuple[str, ...] = ("group", "item", "status")
#: The columns every wide CSV ends with.
TRAILING_COLUMNS: tuple[str, ...] = ("files", "copies")



def _packed(records: Iterable[Mapping[str, Any]]) -> str:
    """Rows in one cell: ``column=value; column=value``, one row a line."""
    return "\n".join("; ".join(f"{k}={cell_text(v)}" for k, v in rec.items())
                     for rec in records)


def _record_column(name: str) -> str:
    return f"record:{name}" if name in FIXED_COLUMNS + TRAILING_COLUMNS else name


def _item_cells(d: Details) -> dict[str, str]:
    """An item's cells by column name (the fixed ones but ``group`` and ``status``)."""
    cells = {"item": str(d.ref)}
    cells.update({_record_column(k): cell_text(v) for k, v in d.fields.items()})
    for name, values in d.lookups.items():
        cells.update({f"lookup:{name}.{k}": cell_text(v) for k, v in values.items()})
    for name in d.children:
        cells[f"child:{name}"] = _packed(child_records(d, name))
    cells["files"] = _packed(dict(zip(FILE_FIELDS, file_values(f), strict=True))
                             for f in d.files)
    cells["copies"] = "\n".join(str(c) for c in d.copies)
    return cells


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
    >>> rows[0][:4], rows[1][:2]
    (['group', 'item', 'status', 'id'], ['Contacts', 'operative.contact_events#...'])
    """
    lines: list[dict[str, str]] = []
    record: dict[str, None] = {}  # column order of first appearance, per kind of column
    lookup: dict[str, None] = {}
    child: dict[str, None] = {}
    for g, items in report.groups.items():
        title = Group(g).title
        for d in items:
            cells = _item_cells(d)
            for column in cells:
                kind = (lookup if column.startswith("lookup:") else
                        child if column.startswith("child:") else record)
                if column not in FIXED_COLUMNS + TRAILING_COLUMNS:
                    kind.setdefault(column)
            lines.append({"group": title, **cells})
        lines += [{"group": title, "item": str(ref), "status": MISSING_ITEM}
                  for ref in report.missing.get(g, ())]
    header = [*FIXED_COLUMNS, *record, *lookup, *child, *TRAILING_COLUMNS]
    yield header
    for cells in lines:
        yield [cells.get(column, "") for column in header]


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
