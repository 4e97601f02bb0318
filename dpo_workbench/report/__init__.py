"""Reports of the selected items: a CSV for people, JSON for machines, a zip with files.

:func:`build_report` reads everything about the selected items into a
:class:`Report` (:mod:`.model`); :func:`write_report` writes it in one of the
formats of :data:`REGISTRY` (:mod:`.formats`), through the writers :func:`write_csv` (the
spreadsheet layout is described in :mod:`.csvfile`), :func:`write_json`
(:mod:`.jsonfile`) and :func:`write_zip` (:mod:`.bundle`). Paths are written
atomically (:mod:`.output`).

Examples
--------
>>> result = wb.search(phone="+358 40 123 4567")
>>> report = build_report(wb.installation, Selection.all(result), criteria=result.criteria)
>>> report.total
15
>>> write_report(report, "aino.zip")
PosixPath('aino.zip')
"""

from __future__ import annotations

from .bundle import safe_name, write_zip
from .csvfile import CSV_COLUMNS, FORMULA_STARTS, csv_rows, neutralise, write_csv
from .formats import (
    DEFAULT_FORMAT,
    FORMATS,
    REGISTRY,
    ReportFormat,
    format_for,
    write_report,
)
from .jsonfile import report_document, write_json
from .model import Report, build_report

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_FORMAT",
    "FORMATS",
    "FORMULA_STARTS",
    "REGISTRY",
    "Report",
    "ReportFormat",
    "build_report",
    "csv_rows",
    "format_for",
    "neutralise",
    "report_document",
    "safe_name",
    "write_csv",
    "write_json",
    "write_report",
    "write_zip",
]
