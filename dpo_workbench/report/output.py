"""Where a report is written: a path, replaced atomically, or an open text or binary file.

A report written to a path appears there only when it is complete: it is written
to a temporary file in the same folder and renamed over the target, so a failed
or interrupted report leaves neither a partial file nor a lost earlier one. An
open file is written as it is and left open for the caller.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: A path, or a file opened for text or binary writing.
PathOrFile = str | os.PathLike[str] | IO[str] | IO[bytes]
#: A path, or a file opened for binary writing: what every report writer accepts.
PathOrBinary = str | os.PathLike[str] | IO[bytes]
#: Bytes read or written at a time while a file is hashed or copied.
CHUNK = 1 << 20


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``path`` that replaces it only when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.

    Yields
    ------
    Path
        The temporary file (``.<name>.<random>.part``), empty; it is renamed to
        ``path`` when the block ends, and removed when the block raises.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder, "report.csv")
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("partial until the block ends")
    ...         print(target.exists())
    ...     print(target.read_text())
    False
    partial until the block ends
    """
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
    """True for a file name, False for an open file."""
    return isinstance(target, str | os.PathLike)


@contextmanager
def text_out(target: PathOrFile) -> Iterator[IO[str]]:
    """A UTF-8 text stream into ``target`` that keeps line ends as they are written.

    Parameters
    ----------
    target : path, text file or binary file
        A path is written atomically (see :func:`atomic_path`). A text file is
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
        with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:  # type: ignore[arg-type]
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
def binary_out(target: PathOrBinary) -> Iterator[IO[bytes]]:
    """A binary stream into ``target``: a path (written atomically) or an open binary file.

    Parameters
    ----------
    target : path or binary file
        A path is written atomically (see :func:`atomic_path`); an open file is
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
        with atomic_path(target) as tmp, open(tmp, "wb") as f:  # type: ignore[arg-type]
            yield f
        return
    yield target  # type: ignore[misc]
