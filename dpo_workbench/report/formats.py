"""The report formats, in one registry that the writers, the command line and the dashboard share.

Each format is a :class:`ReportFormat`: its name, file extension, a few words for
help texts, whether it is binary, and its writer. :func:`write_report` writes
through the registry, and the command line's ``report --format`` offers its
names, so a format added to :data:`REGISTRY` is offered and written everywhere.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from ..errors import UsageError

if TYPE_CHECKING:
    from .model import Report
    from .output import PathOrBinary


class Writer(Protocol):
    """Writes a report to a path (atomically) or an open binary file."""

    def __call__(self, report: Report, path_or_file: PathOrBinary, /, *, bom: bool) -> object:
        """Write ``report``; ``bom`` asks for a UTF-8 byte-order mark before CSV text."""


@dataclass(frozen=True)
class ReportFormat:
    """One format a report can be written in.

    Examples
    --------
    >>> REGISTRY["zip"].extension, REGISTRY["zip"].binary
    ('.zip', True)
    """

    name: str  # what --format takes
    extension: str  # with its dot; a file name ending in it selects the format ("": none)
    description: str  # a few words for help texts
    binary: bool  # whether an open file given to the writer must be binary
    writer: str  # "module:function" of the writer, imported when first used

    @property
    def write(self) -> Writer:
        """The writer (its module is imported now: the command line starts without it)."""
        module, _, name = self.writer.partition(":")
        writer: Writer = getattr(importlib.import_module(module, __package__), name)
        return writer


#: The report formats by name; the first is the default.
REGISTRY: Mapping[str, ReportFormat] = MappingProxyType({f.name: f for f in (
    ReportFormat("csv", ".csv", "for people, one value a line", binary=False,
                 writer=".csvfile:write_csv"),
    ReportFormat("csv-wide", ".csv", "one row per item, its columns side by side", binary=False,
                 writer=".widecsv:write_wide_csv"),
    ReportFormat("json", ".json", "portable", binary=False, writer=".jsonfile:write_json_bom"),
    ReportFormat("xlsx", ".xlsx", "a workbook: a sheet per group, typed cells", binary=True,
                 writer=".xlsxfile:write_xlsx"),
    ReportFormat("zip", ".zip", "CSV, JSON, the files and a manifest", binary=True,
                 writer=".bundle:write_zip"),
)})
#: The names of the formats :func:`write_report` writes.
FORMATS: tuple[str, ...] = tuple(REGISTRY)
#: The format of a file name without an extension.
DEFAULT_FORMAT: str = FORMATS[0]

# An extension chooses the first format that has it (.csv: the long csv).
_BY_EXTENSION: dict[str, str] = {}
for _f in REGISTRY.values():
    _BY_EXTENSION.setdefault(_f.extension, _f.name)


def _extensions() -> str:
    """``.csv (csv, csv-wide), .json, .xlsx or .zip``: the valid endings, for messages."""
    names: dict[str, list[str]] = {}
    for f in REGISTRY.values():
        names.setdefault(f.extension, []).append(f.name)
    words = [ext + (f" ({', '.join(n)})" if len(n) > 1 else "") for ext, n in names.items()]
    return ", ".join(words[:-1]) + " or " + words[-1]


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The report format of a file name: ``fmt`` if given, else the name's extension.

    A name without an extension takes ``fmt``, else :data:`DEFAULT_FORMAT` (csv);
    ``""`` stands for an open file. A name with an extension must end in the
    format's own (``.csv`` for csv and csv-wide, ``.json``, ``.xlsx``, ``.zip``): a
    workbook written under a ``.csv`` name, or CSV text under an ``.xlsx`` name,
    would open as garbage or not at all.

    Parameters
    ----------
    path : str or path-like
        The file to write (``""``: an open file).
    fmt : str, optional
        A name in :data:`FORMATS`.

    Returns
    -------
    str
        A name in :data:`FORMATS`.

    Raises
    ------
    UsageError
        ``fmt`` is not a format, or the name's extension is not the format's or
        names no format; the message lists the valid ones, not the name (it may
        hold a person's name). Also a ValueError.

    Examples
    --------
    >>> format_for("out/request.zip"), format_for("out/request", "json")
    ('zip', 'json')
    >>> format_for("request.csv", "csv-wide"), format_for("request.XLSX")
    ('csv-wide', 'xlsx')
    >>> format_for("request.csv", "pdf")
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: unknown report format 'pdf'; formats are csv, csv-wide, \
json, xlsx, zip.
    >>> format_for("request.xlsx", "csv")
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: The output file name ends in .xlsx, which is not the \
csv format's extension: end it in .csv, or choose the format it names.
    >>> format_for("request.txt")
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: The output file name's extension names no report format: \
end it in .csv (csv, csv-wide), .json, .xlsx or .zip, or leave the extension out and give the \
format.
    """
    suffix = Path(path).suffix.lower() if str(path) else ""
    if fmt is not None and fmt not in REGISTRY:
        raise UsageError(f"unknown report format {fmt!r}; formats are {', '.join(FORMATS)}.")
    if suffix and suffix not in _BY_EXTENSION:
        # The extension itself is not repeated: "aino.jarvinen" has one too.
        raise UsageError("The output file name's extension names no report format: end it in "
                         f"{_extensions()}, or leave the extension out and give the format.")
    if fmt is None:
        return _BY_EXTENSION.get(suffix, DEFAULT_FORMAT)
    if suffix and suffix != REGISTRY[fmt].extension:
        raise UsageError(f"The output file name ends in {suffix}, which is not the {fmt} "
                         f"format's extension: end it in {REGISTRY[fmt].extension}, or choose "
                         "the format it names.")
    return fmt


def write_report(report: Report, path: str | os.PathLike[str], fmt: str | None = None, *,
                 bom: bool = True) -> Path:
    """Write ``report`` to ``path`` in one of :data:`FORMATS` (see :func:`format_for`).

    Parameters
    ----------
    report : Report
    path : str or path-like
        The file to write; it is replaced atomically.
    fmt : str, optional
        The format; default from the extension of ``path``, else csv (a name
        with another format's extension is refused, see :func:`format_for`).
    bom : bool
        Start CSV text with a UTF-8 byte-order mark (default); JSON has none.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> write_report(report, "request.zip")
    PosixPath('request.zip')
    """
    REGISTRY[format_for(path, fmt)].write(report, path, bom=bom)
    return Path(path)
