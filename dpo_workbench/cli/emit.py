"""How the command line writes what it prints: JSON documents, and files to standard output.

``--format json`` prints one document (:func:`emit_json`); ``--out -`` sends a
report or a draft to standard output (:func:`stdout_target`).
"""

from __future__ import annotations

import json
from typing import IO, Any, TextIO

from ..errors import UsageError

#: What ``--out`` takes for standard output.
STDOUT = "-"


def emit_json(doc: Any, out: TextIO) -> None:
    """Write ``doc`` as one indented JSON document and a newline (letters as they are).

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> emit_json({"token": "ABCD-EFGH-JKLM", "name": "Mäkelä"}, buf)
    >>> print(buf.getvalue(), end="")
    {
      "token": "ABCD-EFGH-JKLM",
      "name": "Mäkelä"
    }
    """
    out.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")


def stdout_target(out: TextIO, fmt: str, binary: bool) -> IO[str] | IO[bytes]:
    """Where ``--out -`` writes a ``fmt`` file: standard output's bytes, or the text stream.

    Text (CSV, JSON) goes to the stream's binary buffer when it has one, so that
    the bytes are those of the file (its CR LF line ends and byte-order mark
    included), else to the text stream itself. Binary formats (xlsx, zip) go only
    to a pipe or a redirected file: written to a terminal they would only garble
    it (the rule of ``gzip -c`` and ``curl -o -``).

    Raises
    ------
    UsageError
        A binary format and standard output is a terminal, or cannot take bytes.

    Examples
    --------
    >>> import io
    >>> stdout_target(io.StringIO(), "zip", binary=True)
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: --out - cannot write the zip report here: standard output \
takes no bytes. Give --out FILE, or redirect standard output (> report.zip).
    """
    raw = getattr(out, "buffer", None)
    if binary and out.isatty():
        raise UsageError(f"--out - would write the {fmt} report, which is binary, to the "
                         f"terminal. Redirect standard output (> report.{fmt}) or pipe it, or "
                         "give --out FILE.")
    if binary and raw is None:
        raise UsageError(f"--out - cannot write the {fmt} report here: standard output takes "
                         f"no bytes. Give --out FILE, or redirect standard output "
                         f"(> report.{fmt}).")
    if raw is None:
        return out
    out.flush()  # what was printed before comes first
    return raw  # type: ignore[no-any-return]
