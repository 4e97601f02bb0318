"""One call for the command line and the dashboard: the format of a file, and writing in it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..criteria import Criteria
from ..selection import RowRef, Selection
from ..workbench import Workbench
from .bundle import write_zip
from .csvfile import write_csv
from .jsonfile import write_json
from .model import Progress, Report, build_report

#: The formats :func:`write_report` writes.
FORMATS: tuple[str, ...] = ("csv", "json", "zip")


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
        suffix = Path(path).suffix.lower().lstrip(".")
        fmt = suffix if suffix in FORMATS else "csv"
    if fmt not in FORMATS:
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
    fmt = format_for(path, fmt)
    if fmt == "csv":
        write_csv(report, path, bom=bom)
    elif fmt == "json":
        write_json(report, path)
    else:
        write_zip(report, path, bom=bom)
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
