"""The report formats, in one registry that the writers, the command line and the dashboard share.

Each format is a :class:`ReportFormat`: its name, file extension, a few words for
help texts, whether it is binary, and its writer. :func:`write_report` writes
through the registry, and the command line's ``report --format`` offers its
names, so a format added to :data:`REGISTRY` is offered and written everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from ..criteria import Criteria
from ..selection import RowRef, Selection
from ..workbench import Workbench
from .bundle import write_zip
from .csvfile import write_csv
from .jsonfile import write_json
from .model import Progress, Report, build_report
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
    extension: str  # with its dot; a file name ending in it selects the format
    description: str  # a few words for help texts
    binary: bool  # whether an open file given to the writer must be binary
    write: Writer


def _write_json(report: Report, path_or_file: PathOrBinary, /, *, bom: bool) -> None:
    """:func:`write_json` as a :class:`Writer`: JSON never has a byte-order mark."""
    write_json(report, path_or_file)


#: The report formats by name; the first is the default.
REGISTRY: Mapping[str, ReportFormat] = MappingProxyType({f.name: f for f in (
    ReportFormat("csv", ".csv", "for people", binary=False, write=write_csv),
    ReportFormat("json", ".json", "portable", binary=False, write=_write_json),
    ReportFormat("zip", ".zip", "CSV, JSON, the files and a manifest", binary=True,
                 write=write_zip),
)})
#: The names of the formats :func:`write_report` writes.
FORMATS: tuple[str, ...] = tuple(REGISTRY)
#: The format of a file name whose extension names none.
DEFAULT_FORMAT: str = FORMATS[0]

_BY_EXTENSION = {f.extension: f.name for f in REGISTRY.values()}


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The report format: ``fmt`` if given, else the file name's extension, else csv.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    fmt : str, optional
        A name in :data:`FORMATS`.

    Returns
    -------
    str
        A name in :data:`FORMATS`.

    Raises
    ------
    ValueError
        ``fmt`` is not a format; the message lists the formats.

    Examples
    --------
    >>> format_for("out/request.zip"), format_for("out/request", "json")
    ('zip', 'json')
    >>> format_for("request.csv", "xlsx")
    Traceback (most recent call last):
    ...
    ValueError: unknown report format 'xlsx'; formats are csv, json, zip.
    """
    if fmt is None:
        fmt = _BY_EXTENSION.get(Path(path).suffix.lower(), DEFAULT_FORMAT)
    if fmt not in REGISTRY:
        raise ValueError(f"unknown report format {fmt!r}; formats are {', '.join(FORMATS)}.")
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
        The format; default from the extension of ``path``, else csv.
    bom : bool
        Start CSV text with a UTF-8 byte-order mark (default); JSON has none.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> write_report(report, "request.zip")                  # doctest: +SKIP
    PosixPath('request.zip')
    """
    REGISTRY[format_for(path, fmt)].write(report, path, bom=bom)
    return Path(path)


def create_report(wb: Workbench, criteria: Criteria, path: str | os.PathLike[str],
                  fmt: str | None = None, *, deselect: Sequence[RowRef] = (),
                  bom: bool = True, progress: Progress | None = None) -> Report:
    """Search, select every item found (but ``deselect``), and write the report.

    This is what ``dpo-workbench report --config FILE <criteria> --out PATH
    [--format csv|json|zip]`` does.

    Parameters
    ----------
    wb : Workbench
        The open installation.
    criteria : Criteria
        What to search for.
    path : str or path-like
        The file to write.
    fmt : str, optional
        The format (see :func:`format_for`); checked before anything is read.
    deselect : sequence of RowRef
        Found items to leave out.
    bom : bool
        Start CSV text with a UTF-8 byte-order mark (default).
    progress : callable, optional
        Called as ``progress(message, done, total)`` while tables are read.

    Returns
    -------
    Report
        The report written.

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
