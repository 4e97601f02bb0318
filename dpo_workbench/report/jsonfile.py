"""The report as JSON, for the right to data portability.

The same content as the CSV, structured: no formula neutralisation, no byte-order
mark, values converted by :func:`~dpo_workbench.values.json_value`, and each
existing file with its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import IO, Any

from ..datamap import Group
from ..details import Details, child_records
from ..errors import NotFound
from ..files import FileInfo, open_stored
from ..values import json_value
from .labels import ReportLabels
from .model import Report
from .output import CHUNK, PathOrFile, text_out
from .subject import REDACTED

#: ``(item, file index)`` -> ``(sha256, path in the zip bundle or None)``.
FileHashes = Mapping[tuple[str, int], tuple[str, str | None]]


def _sha256(info: FileInfo) -> str | None:
    """The SHA-256 of a stored file, read a chunk at a time (None when it is gone)."""
    h = hashlib.sha256()
    try:
        src = open_stored(info)
    except NotFound:
        return None
    with src:
        while chunk := src.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _file_json(f: FileInfo, sha256: str | None, in_bundle: str | None, *,
               hashed: bool = True) -> dict[str, Any]:
    """One file of an item; ``path_in_bundle`` only when written into a zip."""
    out: dict[str, Any] = {"name": f.name, "kind": f.kind, "size": f.size, "store": f.store,
                           "path": f.relative_path, "owner": str(f.owner), "exists": f.exists,
                           "problem": f.problem or None}
    if hashed:
        out["sha256"] = sha256
    if in_bundle is not None:
        out["path_in_bundle"] = in_bundle
    return out


def item_labels(d: Details, labels: ReportLabels) -> dict[str, Any]:
    """What an item's table, columns, lookups and child tables are called (the datamap's labels).

    Returns
    -------
    dict
        ``{"label", "fields": {column: label}, "lookups": {name: {"label", "fields"}},
        "children": {name: {"label", "fields"}}}``.

    Examples
    --------
    >>> doc = item_labels(report.groups["contacts"][0], report.labels)
    >>> doc["label"], doc["fields"]["remote_number"], doc["lookups"]["agent"]["label"]
    ('Contact', 'Phone number', 'Agent')
    """
    tid = d.table_id
    children = {}
    for name in d.children:
        columns = dict.fromkeys(c for r in child_records(d, name) for c in r)
        children[name] = {"label": labels.child(tid, name),
                          "fields": {c: labels.child_column(tid, name, c) for c in columns}}
    return {"label": labels.table(tid),
            "fields": {c: labels.column(tid, c) for c in d.fields},
            "lookups": {n: {"label": labels.lookup(tid, n),
                            "fields": {c: labels.lookup_column(tid, n, c) for c in values}}
                        for n, values in d.lookups.items()},
            "children": children}


def _merged_labels(report: Report) -> dict[str, Any]:
    """The labels of every table of the report's items, by ``database.table``."""
    out: dict[str, Any] = {}
    for _, d in report.items():
        new = item_labels(d, report.labels)
        old = out.setdefault(f"{d.ref.database}.{d.ref.table}", new)
        if old is not new:  # another item of the table: add what it has that others lacked
            old["fields"].update(new["fields"])
            for part in ("lookups", "children"):
                for name, doc in new[part].items():
                    old[part].setdefault(name, doc)["fields"].update(doc["fields"])
    return out


def summary_json(report: Report) -> dict[str, Any]:
    """Where the data lives: items per group, and per table the items and copies held."""
    return {"groups": [{"group": g, "label": Group(g).title, "items": n}
                       for g, n in report.counts.items()],
            "tables": [{"group": w.group, "database": w.database, "table": w.table,
                        "label": w.label, "items": w.items, "copies": w.copies}
                       for w in report.where()]}


def item_json(d: Details, hashes: FileHashes | None = None, *,
              hash_files: bool = True) -> dict[str, Any]:
    """One item as the JSON report has it; its files hashed here unless ``hashes`` has them.

    Parameters
    ----------
    d : Details
        The item.
    hashes : mapping, optional
        ``(item, file index)`` to ``(sha256, path in bundle)``.
    hash_files : bool
        False: files get no ``sha256`` (none is read), as ``details --format json``
        prints them.

    Returns
    -------
    dict
        ``{"item", "database", "table", "key", "fields", "lookups", "children",
        "files", "copies"}``.

    Examples
    --------
    >>> doc = item_json(report.groups["contacts"][0], hash_files=False)
    >>> list(doc)
    ['item', 'database', 'table', 'key', 'fields', 'lookups', 'children', 'files', 'copies']
    """
    item = str(d.ref)
    files = []
    for i, f in enumerate(d.files):
        if not hash_files:
            sha, in_bundle = None, None
        elif hashes is not None:
            sha, in_bundle = hashes.get((item, i), (None, None))
        else:
            sha, in_bundle = (_sha256(f) if f.exists and f.path else None), None
        files.append(_file_json(f, sha, in_bundle, hashed=hash_files))
    return {
        "item": item, "database": d.ref.database, "table": d.ref.table,
        "key": json_value(d.ref.key),
        "fields": {k: json_value(v) for k, v in d.fields.items()},
        "lookups": {n: {k: json_value(v) for k, v in vals.items()}
                    for n, vals in d.lookups.items()},
        "children": {n: [{k: json_value(v) for k, v in rec.items()}
                         for rec in child_records(d, n)]
                     for n in d.children},
        "files": files,
        "copies": [str(c) for c in d.copies],
    }


def report_document(report: Report, *, hashes: FileHashes | None = None) -> dict[str, Any]:
    """The JSON form of a report, as Python data (files are hashed unless ``hashes``).

    Parameters
    ----------
    report : Report
    hashes : mapping, optional
        ``(item, file index)`` to ``(sha256, path in bundle)``; the zip writer
        passes the hashes it computed while copying the files.

    Returns
    -------
    dict
        ``{"installation", "created_at", "search", "counts", "summary", "labels",
        "groups", "missing"}``, and ``"subject_copy"`` in the subject's copy (see
        :func:`write_json`).

    Examples
    --------
    >>> report_document(report)["counts"]
    {'contacts': 9, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 3}
    """
    doc: dict[str, Any] = {
        "installation": report.installation,
        "created_at": report.created_at.isoformat(),
        "search": report.search,
    }
    if report.subject is not None:
        doc["subject_copy"] = {name: value for name, _, value in report.subject.statement()}
        doc["subject_copy"]["redacted"] = report.subject.redacted
        doc["subject_copy"]["marker"] = REDACTED
    return doc | {
        "counts": report.counts,
        "summary": summary_json(report),
        "labels": _merged_labels(report),
        "groups": {g: [item_json(d, hashes) | {"table_label": report.labels.table(d.table_id)}
                       for d in items]
                   for g, items in report.groups.items()},
        "missing": [{"group": g, "item": str(r), "database": r.database, "table": r.table,
                     "key": json_value(r.key)}
                    for g, refs in report.missing.items() for r in refs],
    }


def dump_json(doc: Mapping[str, Any], out: IO[str]) -> None:
    """Write a JSON document as the report writes it: indented, letters as they are.

    Parameters
    ----------
    doc : mapping
        JSON-ready data (see :func:`report_document`).
    out : text file
        Where to write; a newline ends the document.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> dump_json({"name": "Eeva Mäkelä"}, out)
    >>> print(out.getvalue(), end="")
    {
      "name": "Eeva Mäkelä"
    }
    """
    # One string and one write: json.dump would write each token separately,
    # which costs more than the encoding itself. The document is in memory anyway.
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def write_json(report: Report, path_or_file: PathOrFile) -> None:
    """Write the report as UTF-8 JSON (no byte-order mark, no formula neutralisation).

    The document is ``{"installation", "created_at", "search", "counts", "summary",
    "labels", "groups": {group: [item, ...]}, "missing"}``; each item holds ``item``,
    ``database``, ``table``, ``key``, ``fields``, ``lookups``, ``children`` (name ->
    rows), ``files`` (with each existing file's SHA-256), ``copies`` and
    ``table_label``. ``summary`` says where the data lives (``groups``: items per
    group; ``tables``: per table its label, the items found there and the copies
    held there); ``labels`` names, per ``database.table``, the table, its columns,
    lookups and child tables as the datamap labels them. The subject's copy adds
    ``subject_copy``: what it redacts and why, what was searched (with the values)
    and when (UTC).

    Parameters
    ----------
    report : Report
    path_or_file : path, text file or binary file
        A path is written atomically (a temporary file renamed into place).

    Examples
    --------
    >>> write_json(report, "report.json")
    >>> from pathlib import Path
    >>> json.loads(Path("report.json").read_text(encoding="utf-8"))["counts"]["consents"]
    3
    """
    doc = report_document(report)
    with text_out(path_or_file) as out:
        dump_json(doc, out)


def write_json_bom(report: Report, path_or_file: PathOrFile, *, bom: bool = False) -> None:
    """:func:`write_json` as a registry writer: JSON never has a byte-order mark."""
    write_json(report, path_or_file)
