"""Reports of the selected items: a CSV for people, JSON for machines, a zip with files.

:func:`build_report` reads everything about the selected items (their fields,
lookups, child rows, files and copies, in batches through
:func:`~dpo_workbench.gather.gather_details`) into a :class:`Report`. Three writers
turn a report into files:

- :func:`write_csv`: one CSV file in *long* form, readable in a spreadsheet; see
  :data:`CSV_COLUMNS` and the module notes below.
- :func:`write_json`: the same content as JSON, for the right to data portability.
- :func:`write_zip`: a zip holding ``report.csv``, ``report.json``, every existing
  file of the selected items under ``files/<group>/<database>.<table>.<key>/`` and
  ``manifest.json`` with the SHA-256 and size of every other member.

The CSV layout
--------------
Columns ``group,item,part,part_row,field,value``, one value per line:

=================  ==========================================================
``part``           lines
=================  ==========================================================
``report``         first lines, no item: ``installation``, ``created_at``,
                   ``search`` (the criteria described in words, without the
                   searched values) and one ``items`` line per group (count)
``record``         the item's own columns, in table column order
``lookup:<name>``  the shown columns of a looked-up row (agent, campaign...)
``child:<name>``   child rows; ``part_row`` numbers them from 1
``file``           each file: ``name``, ``kind``, ``size``, ``store``, ``path``,
                   ``owner`` (the row naming it) and ``status``
                   (``available`` or why not); ``part_row`` from 1
``copy``           each copy in another database: field ``item``
``missing``        an item deleted since the search: field ``status``
=================  ==========================================================

``group`` is the group's title (``Contacts``...), ``item`` is
``database.table#key``. Items come in group order, then search order; an item's
parts in the order of the table above. Datetimes are ISO 8601
(``2025-03-01T14:05:09``), ``None`` is an empty cell, booleans are
``true``/``false``. Lines end with CR LF (RFC 4180, the :mod:`csv` default); a
line break inside a value stays in the value, quoted. The file is UTF-8, with a
byte-order mark by default so that Excel shows names with diacritics.

**Formula neutralisation.** A spreadsheet runs a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (CSV injection). Every
such cell of the CSV, whatever its column, gets a single quote ``'`` in front,
which spreadsheets show as text. This also marks phone numbers (``'+358 ...``) and
negative numbers; the JSON form is not changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..audit import Action
from ..criteria import Criteria
from ..datamap import Group
from ..details import Details, FileInfo
from ..errors import ReportError
from ..gather import ChildFrames, gather_details
from ..selection import RowRef, Selection
from ..values import cell_text, json_value
from ..workbench import Workbench

#: The CSV header, in order.
CSV_COLUMNS: tuple[str, ...] = ("group", "item", "part", "part_row", "field", "value")
#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: The formats :func:`write_report` writes.
FORMATS: tuple[str, ...] = ("csv", "json", "zip")

_MAX_NAME = 120  # characters of a file name in the zip (file systems allow 255 bytes)
_CHUNK = 1 << 20  # bytes read from a file at a time while hashing or zipping
_FILE_FIELDS = ("name", "kind", "size", "store", "path", "owner", "status")
_AVAILABLE = "available"
_MISSING_ITEM = "no longer exists (deleted after the search)"
# Formats that deflate cannot shrink: stored as they are, which saves time.
_STORED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp3", ".ogg",
                              ".opus", ".m4a", ".mp4", ".zip", ".gz", ".docx", ".xlsx"})
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                               *(f"LPT{i}" for i in range(1, 10))})

Progress = Callable[[str, int, int], None]
PathOrFile = str | os.PathLike[str] | IO[str] | IO[bytes]


@dataclass(frozen=True)
class Report:
    """Everything about the selected items, ready to be written.

    Build it with :func:`build_report`. ``groups`` maps every group name (in
    :class:`~dpo_workbench.datamap.Group` order) to the details of its selected
    items, in search order; ``missing`` maps group names to selected items whose
    rows were deleted after the search.
    """

    installation: str
    created_at: datetime
    search: str  # the criteria in words (Criteria.describe()), never their values
    groups: Mapping[str, tuple[Details, ...]]
    missing: Mapping[str, tuple[RowRef, ...]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Items in the report per group name (every group, zero included)."""
        return {g: len(items) for g, items in self.groups.items()}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def items(self) -> Iterator[tuple[Group, Details]]:
        """Every item with its group, in report order."""
        for g, items in self.groups.items():
            for d in items:
                yield Group(g), d


# --------------------------------------------------------------------------------------
# Building


def build_report(wb: Workbench, selection: Selection, *, criteria: Criteria | None = None,
                 created_at: datetime | None = None, progress: Progress | None = None,
                 ) -> Report:
    """Read everything about the selected items into a :class:`Report`.

    Parameters
    ----------
    wb : Workbench
        The open installation.
    selection : Selection
        The selected items; groups named in it must be :class:`Group` names.
    criteria : Criteria, optional
        The search's criteria; the report describes them in words (no values).
    created_at : datetime, optional
        The report's time; default now (local time with its UTC offset, whole seconds).
    progress : callable, optional
        Called as ``progress(message, done, total)`` while tables are read.

    Returns
    -------
    Report

    Notes
    -----
    Records ``report_created`` in the audit log: the rows read per table and the
    number of items, with the criteria only as their keyed hash.

    Raises
    ------
    ValueError
        The selection names a group that does not exist.
    DatabaseError
        A database could not be read.

    Examples
    --------
    >>> result = wb.search(phone="+358 40 123 4567")                  # doctest: +SKIP
    >>> sel = Selection.all(result).unselect_group("consents")        # doctest: +SKIP
    >>> report = build_report(wb, sel, criteria=result.criteria)      # doctest: +SKIP
    >>> report.counts                                                 # doctest: +SKIP
    {'contacts': 31, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 0}
    """
    unknown = [g for g in selection.groups if g not in {x.value for x in Group}]
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(unknown)} in the selection; groups are "
                         f"{', '.join(g.value for g in Group)}.")
    by_group = {g.value: selection.selected(g.value) if g.value in selection.groups else []
                for g in Group}
    gathered = gather_details(wb, [r for refs in by_group.values() for r in refs],
                              progress=progress)
    found = {(d.ref.database, d.ref.table, d.ref.key): d for d in gathered}
    groups: dict[str, tuple[Details, ...]] = {}
    missing: dict[str, tuple[RowRef, ...]] = {}
    for g, refs in by_group.items():
        keys = [(r.database, r.table, r.key) for r in refs]
        groups[g] = tuple(found[k] for k in keys if k in found)
        gone = tuple(r for r, k in zip(refs, keys, strict=True) if k not in found)
        if gone:
            missing[g] = gone
    when = created_at or datetime.now().astimezone().replace(microsecond=0)
    tables: dict[str, int] = {}
    for d in gathered:
        location = f"{d.ref.database}.{d.ref.table}"
        tables[location] = tables.get(location, 0) + 1
    wb.record(Action.REPORT_CREATED, criteria=criteria, tables=tables,
              detail={"items": len(gathered), "missing": len(gathered.missing)})
    return Report(installation=wb.settings.name, created_at=when,
                  search=criteria.describe() if criteria is not None else "",
                  groups=groups, missing=missing)


# --------------------------------------------------------------------------------------
# Formula neutralisation


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula.

    Examples
    --------
    >>> neutralise("=SUM(A1)"), neutralise("+358 40 765 4321"), neutralise("Aino")
    ("'=SUM(A1)", "'+358 40 765 4321", 'Aino')
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


# --------------------------------------------------------------------------------------
# CSV


def _records(d: Details, name: str) -> list[dict[str, Any]]:
    """The child rows of one child table as dicts, in frame order."""
    if isinstance(d.children, ChildFrames):
        return d.children.rows(name)  # gathered: the rows, without building a DataFrame
    frame = d.children[name]
    if frame.empty:  # most are; DataFrame.to_dict costs ~1 ms even then
        return []
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _file_values(f: FileInfo) -> tuple[Any, ...]:
    return (f.name, f.kind, f.size, f.store, f.relative_path, str(f.owner),
            _AVAILABLE if f.exists else (f.problem or "missing"))


def _item_rows(title: str, d: Details) -> Iterator[tuple[str, ...]]:
    item = str(d.ref)
    for k, v in d.fields.items():
        yield title, item, "record", "", k, cell_text(v)
    for name, values in d.lookups.items():
        for k, v in values.items():
            yield title, item, f"lookup:{name}", "", k, cell_text(v)
    for name in d.children:
        for i, rec in enumerate(_records(d, name), start=1):
            for k, v in rec.items():
                yield title, item, f"child:{name}", str(i), k, cell_text(v)
    for i, f in enumerate(d.files, start=1):
        for k, v in zip(_FILE_FIELDS, _file_values(f), strict=True):
            yield title, item, "file", str(i), k, cell_text(v)
    for i, c in enumerate(d.copies, start=1):
        yield title, item, "copy", str(i), "item", str(c)


def csv_rows(report: Report) -> Iterator[tuple[str, ...]]:
    """The CSV's lines after the header, as text cells, before formula neutralisation.

    Examples
    --------
    >>> next(csv_rows(report))                             # doctest: +SKIP
    ('', '', 'report', '', 'installation', 'Demo contact centre')
    """
    yield "", "", "report", "", "installation", report.installation
    yield "", "", "report", "", "created_at", cell_text(report.created_at)
    yield "", "", "report", "", "search", report.search
    for g, n in report.counts.items():
        yield Group(g).title, "", "report", "", "items", str(n)
    for g, items in report.groups.items():
        title = Group(g).title
        for d in items:
            yield from _item_rows(title, d)
        for ref in report.missing.get(g, ()):
            yield title, str(ref), "missing", "", "status", _MISSING_ITEM


def _write_csv_text(report: Report, out: IO[str]) -> None:
    writer = csv.writer(out)  # excel dialect: minimal quoting, CR LF line ends
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow([neutralise(c) for c in row])


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
    >>> write_csv(build_report(wb, Selection.all(result)), "report.csv")   # doctest: +SKIP
    """
    with _text_out(path_or_file) as out:
        if bom:
            out.write("\ufeff")
        _write_csv_text(report, out)


# --------------------------------------------------------------------------------------
# JSON


def _file_json(f: FileInfo, sha256: str | None, in_bundle: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "kind": f.kind, "size": f.size, "store": f.store,
                           "path": f.relative_path, "owner": str(f.owner), "exists": f.exists,
                           "problem": f.problem or None, "sha256": sha256}
    if in_bundle is not None:
        out["path_in_bundle"] = in_bundle
    return out


def _item_json(d: Details, hashes: Mapping[tuple[str, int], tuple[str, str | None]] | None,
               ) -> dict[str, Any]:
    item = str(d.ref)
    files = []
    for i, f in enumerate(d.files):
        if hashes is not None:
            sha, in_bundle = hashes.get((item, i), (None, None))
        else:
            sha, in_bundle = (_sha256(f.path)[0] if f.exists and f.path else None), None
        files.append(_file_json(f, sha, in_bundle))
    return {
        "item": item, "database": d.ref.database, "table": d.ref.table,
        "key": json_value(d.ref.key),
        "fields": {k: json_value(v) for k, v in d.fields.items()},
        "lookups": {n: {k: json_value(v) for k, v in vals.items()}
                    for n, vals in d.lookups.items()},
        "children": {n: [{k: json_value(v) for k, v in rec.items()} for rec in _records(d, n)]
                     for n in d.children},
        "files": files,
        "copies": [str(c) for c in d.copies],
    }


def report_document(report: Report, *,
                    hashes: Mapping[tuple[str, int], tuple[str, str | None]] | None = None,
                    ) -> dict[str, Any]:
    """The JSON form of a report, as Python data (files are hashed unless ``hashes``).

    ``hashes`` maps ``(item, file index)`` to ``(sha256, path in bundle)``; the zip
    writer passes the hashes it computed while copying the files.

    Examples
    --------
    >>> report_document(report)["counts"]                  # doctest: +SKIP
    {'contacts': 2, 'directory_entries': 1, 'campaign_customers': 1, 'consents': 2}
    """
    return {
        "installation": report.installation,
        "created_at": report.created_at.isoformat(),
        "search": report.search,
        "counts": report.counts,
        "groups": {g: [_item_json(d, hashes) for d in items]
                   for g, items in report.groups.items()},
        "missing": [{"group": g, "item": str(r), "database": r.database, "table": r.table,
                     "key": json_value(r.key)}
                    for g, refs in report.missing.items() for r in refs],
    }


def _dump_json(doc: Mapping[str, Any], out: IO[str]) -> None:
    # One string and one write: json.dump would write each token separately,
    # which costs more than the encoding itself. The document is in memory anyway.
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def write_json(report: Report, path_or_file: PathOrFile) -> None:
    """Write the report as UTF-8 JSON (no byte-order mark, no formula neutralisation).

    The document is ``{"installation", "created_at", "search", "counts", "groups":
    {group: [item, ...]}, "missing"}``; each item holds ``item``, ``database``,
    ``table``, ``key``, ``fields``, ``lookups``, ``children`` (name -> rows),
    ``files`` (with each existing file's SHA-256) and ``copies``.

    Examples
    --------
    >>> write_json(report, "report.json")                  # doctest: +SKIP
    >>> json.load(open("report.json", encoding="utf-8"))["counts"]["consents"]  # doctest: +SKIP
    2
    """
    doc = report_document(report)
    with _text_out(path_or_file) as out:
        _dump_json(doc, out)


# --------------------------------------------------------------------------------------
# Zip


def safe_name(name: str, fallback: str = "file") -> str:
    """A file or folder name that cannot leave its folder or upset a file system.

    Letters (any script), digits and ``. _ - ( ) + ,`` and spaces are kept; every
    other character (slashes, control characters, ``:`` ...) becomes ``_``; leading
    dots and spaces and trailing dots and spaces go; Windows device names get a
    ``_`` in front; long names are shortened keeping the extension.

    Examples
    --------
    >>> safe_name("../../etc/passwd"), safe_name("C:\\\\x\\\\lähete.pdf"), safe_name("..")
    ('_.._etc_passwd', 'C__x_lähete.pdf', 'file')
    >>> safe_name("con.txt")
    '_con.txt'
    """
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(ch if ch.isalnum() or ch in "._-()+, " else "_" for ch in name)
    name = name.strip(". ")
    if not name:
        return fallback
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name) > _MAX_NAME:
        stem, ext = _split_extension(name)
        name = stem[:_MAX_NAME - len(ext)].rstrip(". ") + ext
    return name


def _split_extension(name: str) -> tuple[str, str]:
    """``("report", ".pdf")`` for ``report.pdf``; no extension unless short and alphanumeric."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext.isalnum() and len(ext) <= 10:
        return stem, "." + ext
    return name, ""


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name (2)``... when the folder already has it (ignoring case)."""
    stem, ext = _split_extension(name)
    candidate, n = name, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{stem} ({n}){ext}"
    used.add(candidate.casefold())
    return candidate


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


class _HashingWriter(io.RawIOBase):
    """Passes bytes to a zip member while hashing and counting them."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.hash.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _zip_info(name: str, when: datetime) -> zipfile.ZipInfo:
    # The report's own time on every member, so one report always gives the same zip.
    stamp = max(when.replace(tzinfo=None), datetime(1980, 1, 1))
    info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
    info.external_attr = 0o644 << 16
    suffix = Path(name).suffix.lower()
    info.compress_type = zipfile.ZIP_STORED if suffix in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    return info


def _add_file(zf: zipfile.ZipFile, member: str, source: Path, when: datetime,
              ) -> tuple[str, int]:
    """Stream ``source`` into ``member``; return its SHA-256 and size."""
    with open(source, "rb") as src, zf.open(_zip_info(member, when), "w",
                                            force_zip64=True) as dst:
        h = hashlib.sha256()
        size = 0
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    return h.hexdigest(), size


@contextmanager
def _zip_text_member(zf: zipfile.ZipFile, member: str, when: datetime,
                     entries: list[dict[str, Any]]) -> Iterator[IO[str]]:
    """A text stream into a new member; its hash and size are appended to ``entries``."""
    with zf.open(_zip_info(member, when), "w", force_zip64=True) as dst:
        hashing = _HashingWriter(dst)
        buffered = io.BufferedWriter(hashing, _CHUNK)
        text = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()
        buffered.flush()
    entries.append({"path": member, "sha256": hashing.hash.hexdigest(), "size": hashing.size})


def _add_item_files(zf: zipfile.ZipFile, report: Report, entries: list[dict[str, Any]],
                    missing: list[dict[str, Any]],
                    ) -> dict[tuple[str, int], tuple[str, str | None]]:
    hashes: dict[tuple[str, int], tuple[str, str | None]] = {}
    for group, d in report.items():
        item = str(d.ref)
        folder = (f"files/{group.value}/{safe_name(d.ref.database)}.{safe_name(d.ref.table)}."
                  f"{safe_name(str(d.ref.key), 'item')}")
        used: set[str] = set()
        for i, f in enumerate(d.files):
            gone = {"item": item, "owner": str(f.owner), "name": f.name, "kind": f.kind,
                    "store": f.store, "path": f.relative_path}
            if not (f.exists and f.path is not None):
                missing.append({**gone, "problem": f.problem or "missing"})
                continue
            member = f"{folder}/{_unique(safe_name(f.name), used)}"
            try:
                sha, size = _add_file(zf, member, f.path, report.created_at)
            except FileNotFoundError:
                # Deleted since the details were read; the member was not started.
                missing.append({**gone, "problem": "the file is missing from its store"})
                used.discard(member.rsplit("/", 1)[1].casefold())
                continue
            except OSError as exc:
                raise ReportError(f"reading a file of {item} from store '{f.store}' failed "
                                  f"({type(exc).__name__}).") from None
            entries.append({"path": member, "sha256": sha, "size": size})
            hashes[(item, i)] = (sha, member)
    return hashes


def write_zip(report: Report, path: str | os.PathLike[str] | IO[bytes], *,
              bom: bool = True) -> dict[str, Any]:
    """Write the report, its files and a manifest into one zip file.

    The zip holds ``report.csv`` (see :func:`write_csv`), ``report.json`` (see
    :func:`write_json`, with each file's ``path_in_bundle``), every existing file of
    the selected items (their child rows' files too) as
    ``files/<group>/<database>.<table>.<key>/<name>`` (names made safe and unique by
    :func:`safe_name`), and ``manifest.json``: ``{"installation", "created_at",
    "counts", "files": [{"path", "sha256", "size"}, ...], "missing_files": [...],
    "missing_items": [...]}``, where ``files`` covers every other member. A file
    missing from its store is listed in ``missing_files``, not an error. Files are
    streamed, a chunk at a time; a path is written atomically.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    ReportError
        A file exists but could not be read (nothing is left at ``path``).

    Examples
    --------
    >>> manifest = write_zip(report, "subject-request.zip")      # doctest: +SKIP
    >>> [f["path"] for f in manifest["files"]][:2]               # doctest: +SKIP
    ['report.csv', 'report.json']
    """
    with _binary_out(path) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED,
                                                   allowZip64=True) as zf:
        file_entries: list[dict[str, Any]] = []
        missing_files: list[dict[str, Any]] = []
        hashes = _add_item_files(zf, report, file_entries, missing_files)
        entries: list[dict[str, Any]] = []
        with _zip_text_member(zf, "report.csv", report.created_at, entries) as out:
            if bom:
                out.write("\ufeff")
            _write_csv_text(report, out)
        with _zip_text_member(zf, "report.json", report.created_at, entries) as out:
            _dump_json(report_document(report, hashes=hashes), out)
        manifest = {
            "installation": report.installation,
            "created_at": report.created_at.isoformat(),
            "counts": report.counts,
            "files": entries + file_entries,
            "missing_files": missing_files,
            "missing_items": [{"group": g, "item": str(r)}
                              for g, refs in report.missing.items() for r in refs],
        }
        with _zip_text_member(zf, "manifest.json", report.created_at, []) as out:
            _dump_json(manifest, out)
    return manifest


# --------------------------------------------------------------------------------------
# Writing to paths or open files


@contextmanager
def _atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``path`` that replaces it only when the block succeeds."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                               dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_path(target: Any) -> bool:
    return isinstance(target, str | os.PathLike)


@contextmanager
def _text_out(target: PathOrFile) -> Iterator[IO[str]]:
    if _is_path(target):
        with _atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:  # type: ignore[arg-type]
            yield f
        return
    if isinstance(target, io.TextIOBase):
        yield target  # type: ignore[misc]
        return
    # A binary stream: wrap it, and leave it open for the caller.
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")  # type: ignore[arg-type]
    try:
        yield text
    finally:
        text.flush()
        text.detach()


@contextmanager
def _binary_out(target: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    if _is_path(target):
        with _atomic_path(target) as tmp, open(tmp, "wb") as f:  # type: ignore[arg-type]
            yield f
        return
    yield target  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# One call for the command line and the dashboard


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The report format: ``fmt`` if given, else the file name's extension, else csv.

    Examples
    --------
    >>> format_for("out/request.zip"), format_for("out/request", "json")
    ('zip', 'json')
    """
    if fmt is None:
        suffix = Path(path).suffix.lower().lstrip(".")
        fmt = suffix if suffix in FORMATS else "csv"
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; formats are {', '.join(FORMATS)}.")
    return fmt


def write_report(report: Report, path: str | os.PathLike[str], fmt: str | None = None, *,
                 bom: bool = True) -> Path:
    """Write ``report`` to ``path`` as csv, json or zip (see :func:`format_for`).

    Examples
    --------
    >>> write_report(report, "request.zip")                  # doctest: +SKIP
    PosixPath('request.zip')
    """
    fmt = format_for(path, fmt)
    if fmt == "csv":
        write_csv(report, path, bom=bom)
    elif fmt == "json":
        write_json(report, path)
    else:
        write_zip(report, path, bom=bom)
    return Path(path)


def create_report(wb: Workbench, criteria: Criteria, path: str | os.PathLike[str],
                  fmt: str | None = None, *, deselect: Sequence[RowRef] = (),
                  bom: bool = True, progress: Progress | None = None) -> Report:
    """Search, select every item found (but ``deselect``), and write the report.

    This is what ``dpo-workbench report --config FILE <criteria> --out PATH
    [--format csv|json|zip]`` does.

    Examples
    --------
    >>> c = wb.criteria(phone="+358 40 123 4567")                      # doctest: +SKIP
    >>> create_report(wb, c, "request.zip").counts["contacts"]         # doctest: +SKIP
    31
    """
    fmt = format_for(path, fmt)  # a wrong format fails before anything is read
    result = wb.search(criteria)
    selection = Selection.all(result)
    if deselect:
        selection = selection.unselect(*deselect)
    report = build_report(wb, selection, criteria=result.criteria, progress=progress)
    write_report(report, path, fmt, bom=bom)
    return report
