"""Reports of the selected items: CSV for people, JSON for machines, XLSX, a zip with files.

:func:`build_report` reads everything about the selected items into a
:class:`Report` (:mod:`.model`); :func:`write_report` writes it in one of the
formats of :data:`REGISTRY` (:mod:`.formats`), through the writers :func:`write_csv` (the
long layout, one value a line, is described in :mod:`.csvfile`), :func:`write_wide_csv`
(one line per item, :mod:`.widecsv`), :func:`write_json` (:mod:`.jsonfile`),
:func:`write_xlsx` (a workbook, :mod:`.xlsxfile`) and :func:`write_zip` (:mod:`.bundle`).
Paths are written atomically (:mod:`.output`).

Examples
--------
>>> from dpo_workbench.report import build_report, write_report
>>> result = wb.search(phone="+358 40 123 4567")
>>> report = build_report(wb.installation, Selection.all(result), criteria=result.criteria)
>>> report.total
15
>>> write_report(report, "aino.zip")
PosixPath('aino.zip')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module of this package that defines it (imported on first use,
#: so that the command line's --format choices cost no writer).
_PUBLIC = {
    "safe_name": "bundle", "write_zip": "bundle",
    "CSV_COLUMNS": "csvfile", "FORMULA_STARTS": "csvfile", "csv_rows": "csvfile",
    "neutralise": "csvfile", "write_csv": "csvfile",
    "DEFAULT_FORMAT": "formats", "FORMATS": "formats", "REGISTRY": "formats",
    "ReportFormat": "formats", "format_for": "formats", "write_report": "formats",
    "report_document": "jsonfile", "write_json": "jsonfile",
    "Report": "model", "build_report": "model",
    "wide_rows": "widecsv", "write_wide_csv": "widecsv",
    "write_xlsx": "xlsxfile", "xlsx_bytes": "xlsxfile",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'dpo_workbench.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
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
    from .widecsv import wide_rows, write_wide_csv
    from .xlsxfile import write_xlsx, xlsx_bytes

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
    "wide_rows",
    "write_csv",
    "write_json",
    "write_report",
    "write_wide_csv",
    "write_xlsx",
    "write_zip",
    "xlsx_bytes",
]
