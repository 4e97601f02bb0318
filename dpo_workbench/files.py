"""Stored files (recordings, attachments, photos): the only code that resolves, reads or
removes them.

A datamap column holds a file's path relative to a *file store* (a folder named
in the settings file). A path that would leave its store (absolute, ``..``, a
symbolic link pointing out) is never opened.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .audit import personal_data_reason
from .datamap import FileSpec
from .errors import ActionRefused, NotFound
from .selection import RowRef

log = logging.getLogger("dpo_workbench.files")


@dataclass(frozen=True)
class FileInfo:
    """A file that belongs to a row (a recording, an attachment, a photo)."""

    owner: RowRef  # the row holding the file's path
    column: str
    store: str
    kind: str  # audio, image, attachment
    relative_path: str
    name: str
    size: int | None
    path: Path | None  # None when the stored path points outside the store
    exists: bool
    problem: str = ""

    @property
    def media_type(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


def resolve_file(root: Path | None, relative: str) -> tuple[Path | None, str]:
    """The absolute path of a stored file path, refusing paths outside the store.

    Returns ``(path, "")``, or ``(None, why)`` when the path is refused.

    >>> resolve_file(Path("/srv/rec"), "../etc/passwd")
    (None, 'its stored path points outside the file store')
    """
    if root is None:
        return None, "its file store is not configured"
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        return None, "its stored path points outside the file store"
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None, "its stored path points outside the file store"
    return path, ""


def file_infos(owner: RowRef, row: Mapping[str, Any], specs: tuple[FileSpec, ...],
               stores: Mapping[str, Path]) -> list[FileInfo]:
    """The files a row refers to (columns holding a path)."""
    out = []
    for spec in specs:
        rel = row.get(spec.column)
        if not rel:
            continue
        path, problem = resolve_file(stores.get(spec.store), str(rel))
        exists = bool(path and path.is_file())
        name = str(row.get(spec.name_column) or "") if spec.name_column else ""
        size = row.get(spec.size_column) if spec.size_column else None
        if exists and size is None:
            size = path.stat().st_size  # type: ignore[union-attr]
        if not problem and not exists:
            problem = "the file is missing from its store"
        out.append(FileInfo(owner=owner, column=spec.column, store=spec.store, kind=spec.kind,
                            relative_path=str(rel), name=name or Path(str(rel)).name,
                            size=int(size) if size is not None else None, path=path,
                            exists=exists, problem=problem))
    return out


def check_reason(action: str, reason: str | None, required: bool) -> str | None:
    """The reason for reading a file, checked: given when required, free of personal data.

    A reason is recorded in the audit log, which keeps no personal data; playing a
    recording may require one (``access: {require_listen_reason: true}``).

    Raises
    ------
    ActionRefused
        The reason is missing but required, or looks like personal data.

    Examples
    --------
    >>> check_reason("play", " complaint review ", required=True)
    'complaint review'
    >>> check_reason("play", "", required=True)
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.ActionRefused: Give a reason for listening to this recording.
    """
    reason = (reason or "").strip() or None
    if action == "play" and required and not reason:
        raise ActionRefused("Give a reason for listening to this recording.")
    if reason and personal_data_reason(reason):
        raise ActionRefused("The reason must not contain personal data (an e-mail address or a "
                            "long number): it is recorded in the audit log. Describe why "
                            "without it, e.g. 'complaint review'.")
    return reason


def read_file(info: FileInfo) -> bytes:
    """The content of an available file.

    Raises
    ------
    NotFound
        The file is missing from its store, or its stored path was refused.
    """
    if not info.exists or info.path is None:
        raise NotFound(f"The file is not available: {info.problem or 'missing'}.")
    return info.path.read_bytes()


def overwrite_and_remove(path: Path) -> None:
    """Overwrite a file with zeros, then remove it.

    Overwriting first keeps the content out of reach of a plain undelete on file
    systems that write in place; copy-on-write storage needs the DBA's care.
    """
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        remaining = size
        zeros = b"\0" * 65536
        while remaining > 0:
            chunk = zeros[:min(remaining, len(zeros))]
            fh.write(chunk)
            remaining -= len(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
