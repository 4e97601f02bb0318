"""Batches: many requests at once, a report each, a summary for all.

``dpo-workbench batch requests.csv --out DIR`` and :meth:`Workbench.batch` read one
request per line (:mod:`.requests`: the columns and what makes a bad line), search
and report each under its reference (:mod:`.run`), and write ``DIR/summary.csv`` and
``DIR/summary.json`` (:mod:`.result`: the statuses and the summary's columns).

Not to be confused with :mod:`dpo_workbench.batches`, which cuts keys into
``IN (...)`` lists for SQL.
"""

from __future__ import annotations

from .requests import COLUMNS, Request, Requests, read_requests
from .result import SUMMARY_COLUMNS, SUMMARY_CSV, SUMMARY_JSON, BatchResult, Outcome, Status
from .run import RequestSteps, file_stem, run_batch

__all__ = [
    "COLUMNS",
    "SUMMARY_COLUMNS",
    "SUMMARY_CSV",
    "SUMMARY_JSON",
    "BatchResult",
    "Outcome",
    "Request",
    "RequestSteps",
    "Requests",
    "Status",
    "file_stem",
    "read_requests",
    "run_batch",
]
