"""The report as one zip: the CSV, the JSON, the items' files and a manifest of hashes.

Files are streamed into the zip a chunk at a time and hashed on the way, so a
report with large recordings needs no more memory than a small one, and every
member's SHA-256 is in ``manifest.json`` for whoever receives the bundle. Every
member carries the report's own time, so one report always gives the same zip.
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import NotFound, ReportError
from ..files import FileInfo, open_stored
from .chart import summary_svg
from .csvfile import write_csv
from .jsonfile import dump_json, report_document, summary_json
from .model import Report
from .output import CHUNK, binary_out

_MAX_NAME = 120  # characters of a file name in the zip (file systems allow 255 bytes)
# Formats that deflate cannot shrink: stored as they are, which saves time.
_STORED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp3", ".ogg",
                              ".opus", ".m4a", ".mp4", ".zip", ".gz", ".docx", ".xlsx"})
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                               *(f"LPT{i}" for i in range(1, 10))})


def safe_name(name: str, fallback: str = "file") -> str:
    """A file or folder name that cannot leave its folder or upset a file system.

    Letters (any script), digits and ``. _ - ( ) + ,`` and spaces are kept; every
    other character (slashes, control characters, ``:`` ...) becomes ``_``; leading
    dots and spaces and trailing dots and spaces go; Windows device names get a
    ``_`` in front; long names are shortened keeping the extension.

    Parameters
    ----------
    name : str
        A name from the database (a file name, a table name, a key).
    fallback : str
        The name when nothing of ``name`` is left.

    Returns
    -------
    str

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


class _HashingWriter(io.RawIOBase):
    """Passes bytes to a zip member while hashing and counting them."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        """Always: this stream only writes."""
        return True

    def write(self, b: Any) -> int:
        """Hash, count and pass on ``b``."""
        data = bytes(b)
        self.hash.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _zip_info(name: str, when: datetime) -> zipfile.ZipInfo:
    """A member's header: the report's time, stored or deflated by its suffix."""
    # The report's own time on every member, so one report always gives the same zip.
    stamp = max(when.replace(tzinfo=None), datetime(1980, 1, 1))
    info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
    info.external_attr = 0o644 << 16
    suffix = Path(name).suffix.lower()
    info.compress_type = zipfile.ZIP_STORED if suffix in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    return info


def _add_file(zf: zipfile.ZipFile, member: str, source: FileInfo, when: datetime,
              ) -> tuple[str, int]:
    """Stream a stored file into ``member``; return its SHA-256 and size."""
    with open_stored(source) as src, zf.open(_zip_info(member, when), "w",
                                             force_zip64=True) as dst:
        h = hashlib.sha256()
        size = 0
        while chunk := src.read(CHUNK):
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
        buffered = io.BufferedWriter(hashing, CHUNK)
        text = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()
        buffered.flush()
    entries.append({"path": member, "sha256": hashing.hash.hexdigest(), "size": hashing.size})


def _add_item_files(zf: zipfile.ZipFile, report: Report, entries: list[dict[str, Any]],
                    missing: list[dict[str, Any]],
                    ) -> dict[tuple[str, int], tuple[str, str | None]]:
    """Copy every existing file of the items into the zip; return their hashes by item."""
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
                sha, size = _add_file(zf, member, f, report.created_at)
            except NotFound:
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

    The zip holds ``report.csv`` (see :func:`~dpo_workbench.report.csvfile.write_csv`),
    ``report.json`` (see :func:`~dpo_workbench.report.jsonfile.write_json`, with each
    file's ``path_in_bundle``), every existing file of the selected items (their
    child rows' files too) as ``files/<group>/<database>.<table>.<key>/<name>``
    (names made safe and unique by :func:`safe_name`), ``summary.svg`` (where the
    data lives: a bar chart of the items per table, see :mod:`.chart`), and
    ``manifest.json``: ``{"installation", "created_at", "counts", "summary",
    "subject_copy", "files": [{"path", "sha256", "size"}, ...], "missing_files":
    [...], "missing_items": [...]}``, where ``files`` covers every other member and
    ``summary`` is the JSON report's. A file missing from its store is listed in
    ``missing_files``, not an error. Files are streamed, a chunk at a time; a path
    is written atomically.

    Parameters
    ----------
    report : Report
    path : path or binary file
        Where to write the zip.
    bom : bool
        Start ``report.csv`` with a UTF-8 byte-order mark (default).

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
    >>> manifest = write_zip(report, "subject-request.zip")
    >>> [f["path"] for f in manifest["files"]][:3]
    ['report.csv', 'report.json', 'summary.svg']
    >>> len(manifest["files"]), manifest["missing_files"]
    (11, [])
    """
    with binary_out(path) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED,
                                                  allowZip64=True) as zf:
        file_entries: list[dict[str, Any]] = []
        missing_files: list[dict[str, Any]] = []
        hashes = _add_item_files(zf, report, file_entries, missing_files)
        entries: list[dict[str, Any]] = []
        with _zip_text_member(zf, "report.csv", report.created_at, entries) as out:
            write_csv(report, out, bom=bom)
        with _zip_text_member(zf, "report.json", report.created_at, entries) as out:
            dump_json(report_document(report, hashes=hashes), out)
        with _zip_text_member(zf, "summary.svg", report.created_at, entries) as out:
            out.write(summary_svg(report))
        manifest = {
            "installation": report.installation,
            "created_at": report.created_at.isoformat(),
            "counts": report.counts,
            "summary": summary_json(report),
            "subject_copy": report.subject is not None,
            "files": entries + file_entries,
            "missing_files": missing_files,
            "missing_items": [{"group": g, "item": str(r)}
                              for g, refs in report.missing.items() for r in refs],
        }
        with _zip_text_member(zf, "manifest.json", report.created_at, []) as out:
            dump_json(manifest, out)
    return manifest
