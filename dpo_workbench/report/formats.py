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
    ReportFormat("json", ".json", "portable", binary=False, writer=".jsonfile:write_json_bom"),
    ReportFormat("zip", ".zip", "CSV, JSON, the files and a manifest", binary=True,
                 writer=".bundle:write_zip"),
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
    UsageError
        ``fmt`` is not a format; the message lists the formats (also a ValueError).

    Examples
    --------
    >>> format_for("out/request.zip"), format_for("out/request", "json")
    ('zip', 'json')
    >>> format_for("request.csv", "xlsx")
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: unknown report format 'xlsx'; formats are csv, json, zip.
    """
    if fmt is None:
        fmt = _BY_EXTENSION.get(Path(path).suffix.lower(), DEFAULT_FORMAT)
    if fmt not in REGISTRY:
        raise UsageError(f"unknown report format {fmt!r}; formats are {', '.join(FORMATS)}.")
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
    >>> write_report(report, "request.zip")
    PosixPath('request.zip')
    """
    REGISTRY[format_for(path, fmt)].write(report, path, bom=bom)
    return Path(path)
