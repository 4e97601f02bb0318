"""The report as one CSV file in *long* form, readable in a spreadsheet.

The CSV layout
--------------
Columns ``group,item,part,part_row,field,value,part_label,field_label``, one
value per line; ``part_label`` and ``field_label`` say in the datamap's words what
``part`` and ``field`` name (``Contact``, ``Phone number``; see ``label`` in
``docs/datamap.md``):

===================  ========================================================
``part``             lines
===================  ========================================================
``report``           first lines, no item: ``installation``, ``created_at``,
                     ``search`` (the criteria described in words, without the
                     searched values), in the subject's copy the copy's own
                     lines (see :mod:`.subject`: what it redacts, what was
                     searched with its values, the time in UTC), and one
                     ``items`` line per group (count)
``summary:items``    where the data lives, no item: per table (``field`` is
                     ``database.table``, ``field_label`` the table's label) the
                     items found there
``summary:copies``   the same for the copies of items held in a table
``record``           the item's own columns, in table column order
``lookup:<name>``    the shown columns of a looked-up row (agent, campaign...)
``child:<name>``     child rows; ``part_row`` numbers them from 1
``file``             each file: ``name``, ``kind``, ``size``, ``store``, ``path``,
                     ``owner`` (the row naming it) and ``status``
                     (``available`` or why not); ``part_row`` from 1
``copy``             each copy in another database: field ``item``
``missing``          an item deleted since the search: field ``status``
===================  ========================================================

``group`` is the group's title (``Contacts``...), ``item`` is
``database.table#key``. Items come in group order, then search order; an item's
parts in the order of the table above. Datetimes are ISO 8601
(``2025-03-01T14:05:09``), ``None`` is an empty cell, booleans are
``true``/``false`` (see :func:`~dpo_workbench.values.cell_text`). Lines end with
CR LF (RFC 4180, the :mod:`csv` default); a line break inside a value stays in the
value, quoted. The file is UTF-8, with a byte-order mark by default so that Excel
shows names with diacritics.

**Formula neutralisation.** A spreadsheet runs a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (CSV injection). Every
such cell of the CSV, whatever its column, gets a single quote ``'`` in front,
which spreadsheets show as text. This also marks phone numbers (``'+358 ...``) and
negative numbers; the JSON form is not changed.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..datamap import Group
from ..details import Details, FileInfo, child_records
from ..values import cell_text
from .labels import ReportLabels
from .model import Report
from .output import PathOrFile, text_out

#: The CSV header, in order.
CSV_COLUMNS: tuple[str, ...] = ("group", "item", "part", "part_row", "field", "value",
                                "part_label", "field_label")
#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: A file's fields, in the order the CSV forms give them.
FILE_FIELDS = ("name", "kind", "size", "store", "path", "owner", "status")
#: What a DPO reads for each of a file's fields.
FILE_LABELS = {"name": "File name", "kind": "Kind", "size": "Size (bytes)", "store": "Store",
               "path": "Path in the store", "owner": "Row naming it", "status": "Status"}
#: What a DPO reads for the counts of the summary lines.
SUMMARY_LABELS = {"items": "Items found here", "copies": "Copies held here"}
_AVAILABLE = "available"
MISSING_ITEM = "no longer exists (deleted after the search)"


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula.

    Parameters
    ----------
    cell : str
        The cell's text.

    Returns
    -------
    str
        ``cell``, with ``'`` in front when it starts with one of :data:`FORMULA_STARTS`.

    Examples
    --------
    >>> neutralise("=SUM(A1)"), neutralise("+358 40 765 4321"), neutralise("Aino")
    ("'=SUM(A1)", "'+358 40 765 4321", 'Aino')
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def file_values(f: FileInfo) -> tuple[Any, ...]:
    """A file's values in :data:`FILE_FIELDS` order."""
    return (f.name, f.kind, f.size, f.store, f.relative_path, str(f.owner),
            _AVAILABLE if f.exists else (f.problem or "missing"))


def _item_rows(title: str, d: Details, labels: ReportLabels) -> Iterator[tuple[str, ...]]:
    """The CSV lines of one item: record, lookups, child rows, files, copies."""
    item, tid = str(d.ref), d.table_id
    table = labels.table(tid)
    for k, v in d.fields.items():
        yield title, item, "record", "", k, cell_text(v), table, labels.column(tid, k)
    for name, values in d.lookups.items():
        lookup = labels.lookup(tid, name)
        for k, v in values.items():
            yield (title, item, f"lookup:{name}", "", k, cell_text(v), lookup,
                   labels.lookup_column(tid, name, k))
    for name in d.children:
        child = labels.child(tid, name)
        for i, rec in enumerate(child_records(d, name), start=1):
            for k, v in rec.items():
                yield (title, item, f"child:{name}", str(i), k, cell_text(v), child,
                       labels.child_column(tid, name, k))
    for i, f in enumerate(d.files, start=1):
        for k, v in zip(FILE_FIELDS, file_values(f), strict=True):
            yield title, item, "file", str(i), k, cell_text(v), "File", FILE_LABELS[k]
    for i, c in enumerate(d.copies, start=1):
        yield (title, item, "copy", str(i), "item", str(c), "Copy",
               labels.location(c.database, c.table))


def csv_rows(report: Report) -> Iterator[tuple[str, ...]]:
    """The CSV's lines after the header, as text cells, before formula neutralisation.

    Parameters
    ----------
    report : Report

    Yields
    ------
    tuple of str
        One line's cells, in :data:`CSV_COLUMNS` order.

    Examples
    --------
    >>> next(csv_rows(report))
    ('', '', 'report', '', 'installation', 'Demo contact centre', 'Report', 'Installation')
    """
    for name, label, value in report.statement():
        yield "", "", "report", "", name, cell_text(value), "Report", label
    for g, n in report.counts.items():
        yield Group(g).title, "", "report", "", "items", str(n), "Report", "Items"
    for w in report.where():
        for what, n in (("items", w.items), ("copies", w.copies)):
            if n:
                yield (Group(w.group).title, "", f"summary:{what}", "", w.location, str(n),
                       SUMMARY_LABELS[what], w.label)
    labels = report.labels
    for g, items in report.groups.items():
        title = Group(g).title
        for d in items:
            yield from _item_rows(title, d, labels)
        for ref in report.missing.get(g, ()):
            yield (title, str(ref), "missing", "", "status", MISSING_ITEM,
                   labels.location(ref.database, ref.table), "Status")


def write_csv(report: Report, path_or_file: PathOrFile, *, bom: bool = True) -> None:
    """Write the report as one CSV file (layout in the module notes).

    Parameters
    ----------
    report : Report
    path_or_file : path, text file or binary file
        A path is written atomically (a temporary file renamed into place). A text
        file should be opened with ``newline=""`` so line breaks in values survive.
    bom : bool
        Start with a UTF-8 byte-order mark, so that Excel reads UTF-8 (default).

    Examples
    --------
    >>> write_csv(report, "report.csv")
    >>> with open("report.csv", encoding="utf-8-sig", newline="") as f:
    ...     lines = list(csv.reader(f))
    >>> lines[0]
    ['group', 'item', 'part', 'part_row', 'field', 'value', 'part_label', 'field_label']
    >>> lines[1]
    ['', '', 'report', '', 'installation', 'Demo contact centre', 'Report', 'Installation']
    """
    write_rows(path_or_file, itertools.chain([CSV_COLUMNS], csv_rows(report)), bom=bom)


def write_rows(path_or_file: PathOrFile, rows: Iterable[Sequence[str]], *, bom: bool) -> None:
    """Write CSV lines, every cell formula-neutralised (both CSV forms of a report).

    Parameters
    ----------
    path_or_file : path, text file or binary file
        As :func:`write_csv` takes it.
    rows : iterable of sequences of str
        The lines, the header first.
    bom : bool
        Start with a UTF-8 byte-order mark.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO(newline="")
    >>> write_rows(buf, [["name", "note"], ["Eeva", "=1+1"]], bom=False)
    >>> buf.getvalue()
    "name,note\\r\\nEeva,'=1+1\\r\\n"
    """
    with text_out(path_or_file) as out:
        if bom:
            out.write("\ufeff")
        writer = csv.writer(out)  # excel dialect: minimal quoting, CR LF line ends
        for row in rows:
            writer.writerow([neutralise(c) for c in row])
