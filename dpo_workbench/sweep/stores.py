"""Sweeping the file stores: every text-like file, read as text, and every file's name.

A store's folder is walked without following symbolic links. A file is read only
as :mod:`dpo_workbench.files` allows (a regular file inside its store, reached
without links, with no other hard link); the others are counted as skipped, with
why. A file's name is a mention when it, or the name without its extension,
mentions the person; the receipt then withholds it. A file is *text-like* when
its name does not say it is audio, an image, a PDF or an archive and its first
8 KiB hold no NUL byte (UTF-16 with a byte-order mark excepted); its bytes are
read as UTF-8, or as Latin-1 when they are not valid UTF-8. Compressed or binary
formats (PDF, Office files, zip) are not searched inside: their names are.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NotFound
from ..files import FileInfo, inspect_stored, open_stored
from ..selection import RowRef
from .model import FileMention
from .rules import Rules

#: Names that say a file is not text: its content is not searched, its name is.
BINARY_SUFFIXES = frozenset({
    ".wav", ".mp3", ".ogg", ".opus", ".flac", ".gsm", ".m4a", ".png", ".jpg", ".jpeg", ".gif",
    ".webp", ".tif", ".tiff", ".bmp", ".pdf", ".zip", ".gz", ".bz2", ".xz", ".7z", ".docx",
    ".xlsx", ".pptx", ".odt", ".ods", ".mp4", ".avi", ".mov", ".heic",
})
#: Larger files are not read (listed as skipped).
MAX_BYTES = 64 * 1024 * 1024
SNIFF = 8192


@dataclass
class StoreSweep:
    """What the sweep of one file store found."""

    store: str
    mentions: list[FileMention] = field(default_factory=list)
    searched: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def decode(data: bytes) -> str | None:
    """The text of a file's bytes, or None when they are not text (see the module notes).

    >>> decode("Järvinen".encode("utf-8")), decode("Järvinen".encode("latin-1"))
    ('Järvinen', 'Järvinen')
    >>> decode(b"RIFF\\x00\\x01"), decode("Aino".encode("utf-16"))
    (None, 'Aino')
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\0" in data[:SNIFF]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _skip_reason(why: str) -> str:
    if "symbolic link" in why:
        return "symbolic links"
    if "outside" in why:
        return "links leading outside the store"
    if "hard link" in why:
        return "files with other hard links"
    if "regular" in why:
        return "not regular files"
    return "unreadable files"


def _lines(text: str, rules: Rules) -> dict[int, set[str]]:
    """Line number (from 1) -> kinds mentioned on it."""
    breaks = [i for i, ch in enumerate(text) if ch == "\n"] if "\n" in text else []
    out: dict[int, set[str]] = {}
    for kind, start, _ in rules.spans(text):
        line = bisect.bisect_left(breaks, start) + 1
        out.setdefault(line, set()).add(kind)
    return out


def _read(store: str, root: Path, relative: str, size: int) -> bytes | None:
    info = FileInfo(owner=RowRef("", store, relative), column="", store=store, kind="",
                    relative_path=relative, name=Path(relative).name, size=size,
                    path=root.resolve() / relative, exists=True)
    with open_stored(info) as fh:
        head = fh.read(SNIFF)
        if b"\0" in head and head[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            return None
        return head + fh.read()


def sweep_store(store: str, root: Path, rules: Rules,
                on_file: Callable[[], None] | None = None) -> StoreSweep:
    """Sweep one file store (runs in its own thread)."""
    out = StoreSweep(store)
    if not root.is_dir():
        out.skip("store folder missing")
        return out
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            relative = os.path.relpath(os.path.join(folder, name), root)
            shown = relative
            # The name without its extension too: "aino@example.fi.eml" would otherwise
            # read as a longer address.
            in_name = rules.kinds(relative) | rules.kinds(os.path.splitext(relative)[0])
            if in_name:
                shown = ""
                out.mentions.append(FileMention(store, "", 0, tuple(
                    k for k in ("email", "phone", "name") if k in in_name)))
            _, st, why = inspect_stored(root, relative)
            if why or st is None:
                out.skip(_skip_reason(why))
                continue
            if Path(name).suffix.lower() in BINARY_SUFFIXES:
                out.skip("binary by name (audio, images, PDF, archives)")
                continue
            if st.st_size > MAX_BYTES:
                out.skip(f"larger than {MAX_BYTES // 2**20} MiB")
                continue
            try:
                data = _read(store, root, relative, st.st_size)
            except (NotFound, OSError):  # replaced meanwhile, or unreadable
                out.skip("unreadable files")
                continue
            text = decode(data) if data is not None else None
            if text is None:
                out.skip("binary content")
                continue
            out.searched += 1
            for line, kinds in sorted(_lines(text, rules).items()):
                out.mentions.append(FileMention(store, shown, line, tuple(
                    k for k in ("email", "phone", "name") if k in kinds)))
            if on_file:
                on_file()
    return out
