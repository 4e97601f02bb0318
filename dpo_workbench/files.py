"""Stored files (recordings, attachments, photos): the only code that resolves, reads or
removes them.

A datamap column holds a file's path relative to a *file store* (a folder named
in the settings file). Only a **regular file inside its store, reached without
symbolic links, with no other hard link** is read or overwritten: a path that
leaves the store (absolute, ``..``, a link pointing out), a folder, a FIFO, a
device, a symbolic link or a path holding NUL is refused, and a file with other
hard links (whose content may be a file outside the store) is never read or
overwritten: erasure only unlinks its name there and reports it.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

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
        import mimetypes  # its tables take milliseconds to load: only when asked

        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


OUTSIDE = "its stored path points outside the file store"
SHARED = "it has other hard links (its content may be another file's): not read or overwritten"


def resolve_file(root: Path | None, relative: str) -> tuple[Path | None, str]:
    """The absolute path of a stored file path, refusing paths outside the store.

    Returns ``(path, "")``, or ``(None, why)`` when the path is refused.

    >>> resolve_file(Path("/srv/rec"), "../etc/passwd")
    (None, 'its stored path points outside the file store')
    >>> resolve_file(Path("/srv/rec"), "a" + chr(0) + "b")
    (None, 'its stored path is not a valid file name')
    """
    if root is None:
        return None, "its file store is not configured"
    if "\0" in relative or not relative.strip():
        return None, "its stored path is not a valid file name"
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        return None, "its stored path points outside the file store"
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None, OUTSIDE
    return path, ""


def inspect_stored(root: Path | None, relative: str) -> tuple[Path | None, os.stat_result | None,
                                                              str]:
    """``(path, stat, "")`` for a stored file that may be read, else ``(path?, stat?, why)``.

    The path is the one inside the store, not followed through links: its folders
    must be inside the store and the file itself a regular file (``lstat``). A
    missing file gives ``(path, None, "missing")``.
    """
    path, problem = resolve_file(root, relative)
    if path is None or root is None:
        return None, None, problem
    lexical = root.resolve() / Path(relative)
    if lexical != path:  # a symbolic link on the way: resolve() went elsewhere
        try:
            if lexical.is_symlink():
                return lexical, None, "it is a symbolic link: not followed"
        except OSError:
            pass
        if lexical.parent.resolve() != path.parent:
            return None, None, OUTSIDE
    try:
        st = os.lstat(lexical)
    except FileNotFoundError:
        return lexical, None, "missing"
    except OSError as exc:
        return lexical, None, f"it cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return lexical, st, "it is a symbolic link: not followed"
    if not stat.S_ISREG(st.st_mode):
        return lexical, st, "it is not a regular file (a folder, FIFO or device)"
    if st.st_nlink > 1:
        return lexical, st, SHARED
    return lexical, st, ""


def open_stored(info: FileInfo) -> BinaryIO:
    """Open an available stored file for reading, without following links.

    Raises
    ------
    NotFound
        The file is missing, refused, or was replaced since it was inspected.
    """
    if not info.exists or info.path is None:
        raise NotFound(f"The file is not available: {info.problem or 'missing'}.")
    try:
        fd = os.open(info.path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise NotFound("The file is not available: it was removed or replaced.") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        os.close(fd)
        raise NotFound("The file is not available: it was replaced since it was found.")
    return os.fdopen(fd, "rb")


def file_infos(owner: RowRef, row: Mapping[str, Any], specs: tuple[FileSpec, ...],
               stores: Mapping[str, Path]) -> list[FileInfo]:
    """The files a row refers to (columns holding a path)."""
    out = []
    for spec in specs:
        rel = row.get(spec.column)
        if not rel:
            continue
        path, st, problem = inspect_stored(stores.get(spec.store), str(rel))
        exists = st is not None and not problem
        name = str(row.get(spec.name_column) or "") if spec.name_column else ""
        size = row.get(spec.size_column) if spec.size_column else None
        if exists and size is None and st is not None:
            size = st.st_size
        if problem == "missing":
            problem = "the file is missing from its store"
        out.append(FileInfo(owner=owner, column=spec.column, store=spec.store, kind=spec.kind,
                            relative_path=str(rel),
                            name=name or Path(str(rel).replace("\0", "")).name or "file",
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
    with open_stored(info) as fh:
        return fh.read()


#: What became of a stored file that erasure handled.
REMOVED, MISSING, UNLINKED_SHARED, REFUSED = "removed", "missing", "unlinked_shared", "refused"


def remove_stored(root: Path | None, relative: str) -> tuple[str, str]:
    """Erase a stored file: overwrite it with zeros and remove it; ``(outcome, why)``.

    Only a regular file inside its store is overwritten. A file with other hard
    links is only unlinked there (``unlinked_shared``: its content is still reachable
    elsewhere, which the receipt reports); anything else is ``refused`` and left as
    it is. Overwriting first keeps the content out of reach of a plain undelete on
    file systems that write in place; copy-on-write storage needs the DBA's care.
    """
    path, st, problem = inspect_stored(root, relative)
    if problem == "missing":
        return MISSING, ""
    if path is None or st is None:
        return REFUSED, problem
    if problem == SHARED:
        path.unlink()
        return UNLINKED_SHARED, "other hard links to its content remain"
    if problem:
        return REFUSED, problem
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return MISSING, ""
    except OSError as exc:
        return REFUSED, f"it cannot be opened ({exc.strerror})"
    try:
        now = os.fstat(fd)
        if (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev) or now.st_nlink > 1:
            return REFUSED, "it was replaced while being erased"
        _zero(fd, now.st_size)
    finally:
        os.close(fd)
    path.unlink()
    return REMOVED, ""


def _zero(fd: int, size: int) -> None:
    zeros = b"\0" * 65536
    remaining = size
    while remaining > 0:
        remaining -= os.write(fd, zeros[:min(remaining, len(zeros))])
    os.fsync(fd)
