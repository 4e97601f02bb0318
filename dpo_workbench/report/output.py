"""Where a report is written: a path, replaced atomically, or an open text or binary file.

A report written to a path appears there only when it is complete (see
:func:`atomic_file`), so a failed or interrupted report leaves neither a partial
file nor a lost earlier one. An open file is written as it is and left open for
the caller.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import UsageError

#: A path, or a file opened for text or binary writing.
PathOrFile = str | os.PathLike[str] | IO[str] | IO[bytes]
#: A path, or a file opened for binary writing: what every report writer accepts.
PathOrBinary = str | os.PathLike[str] | IO[bytes]
#: Bytes read or written at a time while a file is hashed or copied.
CHUNK = 1 << 20


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path``, complete, only when the block succeeds.

    The content is written to an anonymous file in the target's folder (Linux
    ``O_TMPFILE``, mode 0600), which has no name until it is complete: a report
    interrupted at any point, even by SIGKILL, leaves nothing readable behind.
    Where the file system has no anonymous files, a hidden ``.<name>.<random>.part``
    file (mode 0600) is used and removed when the block raises. An earlier file at
    ``path`` is replaced only by the complete new one.

    Raises
    ------
    UsageError
        The target's folder does not exist.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder, "report.csv")
    ...     with atomic_file(target) as f:
    ...         _ = f.write(b"partial until the block ends")
    ...         print(target.exists(), os.listdir(folder))
    ...     print(target.read_text())
    False []
    partial until the block ends
    """
    target = Path(path)
    folder = check_folder(target)
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except (AttributeError, OSError):
        fd = -1
    if fd < 0:
        with _named_temporary(target, folder) as f:
            yield f
        return
    with os.fdopen(fd, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
        # Give the complete file a name (a hidden one), then put it in place atomically.
        hidden = folder / f".{target.name}.{os.getpid()}.{fd}.part"
        hidden.unlink(missing_ok=True)
        _link_anonymous(f.fileno(), hidden)
    os.replace(hidden, target)


def _link_anonymous(fd: int, name: Path) -> None:
    """Give an ``O_TMPFILE`` file a name (``linkat`` following ``/proc/self/fd``)."""
    folder = os.open(name.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # A dir_fd makes Python call linkat(AT_SYMLINK_FOLLOW); plain link() would
        # try to link the /proc entry itself.
        os.link(f"/proc/self/fd/{fd}", name.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def check_folder(path: str | os.PathLike[str]) -> Path:
    """The folder a file will be written into; it must exist (checked before any work).

    Raises
    ------
    UsageError
        The folder does not exist.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist: create it, or write the report "
                         "elsewhere.")
    return folder


@contextmanager
def _named_temporary(target: Path, folder: Path) -> Iterator[IO[bytes]]:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_path(target: Any) -> bool:
    """True for a file name, False for an open file."""
    return isinstance(target, str | os.PathLike)


@contextmanager
def text_out(target: PathOrFile) -> Iterator[IO[str]]:
    """A UTF-8 text stream into ``target`` that keeps line ends as they are written.

    Parameters
    ----------
    target : path, text file or binary file
        A path is written atomically (see :func:`atomic_file`). A text file is
        written as it is (open it with ``newline=""``); a binary file is written
        as UTF-8. Open files are left open.

    Yields
    ------
    IO[str]
        The stream to write to.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with text_out(buf) as out:
    ...     _ = out.write("Mäkelä\\r\\n")
    >>> buf.getvalue()
    b'M\\xc3\\xa4kel\\xc3\\xa4\\r\\n'
    """
    if _is_path(target):
        with atomic_file(target) as raw:  # type: ignore[arg-type]
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            yield text
            text.flush()
            text.detach()
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
def binary_out(target: PathOrBinary) -> Iterator[IO[bytes]]:
    """A binary stream into ``target``: a path (written atomically) or an open binary file.

    Parameters
    ----------
    target : path or binary file
        A path is written atomically (see :func:`atomic_file`); an open file is
        written as it is and left open.

    Yields
    ------
    IO[bytes]
        The stream to write to.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with binary_out(buf) as out:
    ...     _ = out.write(b"PK")
    >>> buf.getvalue()
    b'PK'
    """
    if _is_path(target):
        with atomic_file(target) as f:  # type: ignore[arg-type]
            yield f
        return
    yield target  # type: ignore[misc]
