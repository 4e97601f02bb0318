"""The deep sweep, measured three ways side by side: as the library does it, one part at
a time, and in Python alone.

- **library**: ``wb.deep_sweep(...)`` (public API, audit log included): one thread per
  database taking the largest part not yet swept, the SQL prefilter, the exact rules
  in Python for the rows it passes, the file stores in threads of their own;
- **one at a time**: the same sweep with one thread (``sweep(..., workers=1)``): what
  the concurrency over databases gains;
- **Python alone**: every text value of every table read into Python and checked
  with the exact rules, one table after the other, no SQL prefilter (the naive way;
  only up to ``--sweep-naive-max``). It must find exactly the library's mentions.

Subjects: AINO (ASCII e-mail address) and ZOE (non-ASCII letters in her e-mail
address and name: several exact spellings in the prefilter), each by phone (N = 7),
e-mail and name.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import select

from dpo_workbench.demo.samples import AINO, ZOE
from dpo_workbench.sweep.rules import Rules
from dpo_workbench.sweep.stores import sweep_store
from dpo_workbench.sweep.sweeps import open_engines, sweep
from dpo_workbench.sweep.tables import confirm, reflect_all

from .searches import measure, median_ms

SWEPT = (AINO, ZOE)


def criteria_of(wb: Any, subject: Any) -> Any:
    return wb.criteria(phone=subject.phone, email=subject.email,
                       first_name=subject.first_name, last_name=subject.last_name)


def python_alone(wb: Any, criteria: Any) -> tuple[set[str], int]:
    """The naive sweep: every text value into Python; (mention locations, rows read)."""
    rules = Rules(criteria)
    inst = wb.installation
    engines, opened, _ = open_engines(inst)
    found: set[str] = set()
    rows = 0
    try:
        for name, engine in engines.items():
            with engine.connect() as conn:
                for swept in reflect_all(conn, name):
                    stmt = select(*swept.key_columns(),
                                  *[swept.table.c[c] for c in swept.columns])
                    result = conn.execution_options(stream_results=True,
                                                     yield_per=5000).execute(stmt)
                    for row in result.mappings():
                        rows += 1
                        found.update(m.location for m in confirm(row, swept, rules))
        for store, root in inst.stores.items():
            found.update(f"{m.store}:{m.file}:{m.line}"
                         for m in sweep_store(store, root, rules).mentions)
    finally:
        for engine in opened.values():
            engine.dispose()
    return found, rows


def _locations(result: Any) -> set[str]:
    return {m.location for m in result.mentions} | {f"{m.store}:{m.file}:{m.line}"
                                                    for m in result.files}


def sweep_timings(wb: Any, runs: int, naive: bool) -> dict[str, Any]:
    """Each subject's sweep: library (``runs`` runs after one warm-up), one thread, Python."""
    out: dict[str, Any] = {"load_average_before": round(os.getloadavg()[0], 1)}
    for subject in SWEPT:
        criteria = criteria_of(wb, subject)
        times, result = measure(lambda c=criteria: wb.deep_sweep(c), runs)
        one_times, one = measure(lambda c=criteria: sweep(wb.installation, c, workers=1), runs,
                                 warmup=0)
        entry: dict[str, Any] = {
            "median_ms": round(median_ms(times), 1), "runs_ms": [round(t * 1000, 1)
                                                                 for t in times],
            "one_thread_median_ms": round(median_ms(one_times), 1),
            "one_thread_runs_ms": [round(t * 1000, 1) for t in one_times],
            "mentions": result.total, "candidate_rows": result.candidates,
            "databases": result.databases, "tables": result.tables, "columns": result.columns,
            "files": result.files_searched, "not_swept": result.not_swept,
            "same_as_one_thread": _locations(result) == _locations(one)}
        if naive:
            started = time.perf_counter()
            found, rows = python_alone(wb, criteria)
            entry["python_ms"] = round((time.perf_counter() - started) * 1000, 1)
            entry["python_rows"] = rows
            entry["same_as_python"] = found == _locations(result)
        out[subject.key] = entry
    out["load_average_after"] = round(os.getloadavg()[0], 1)  # other work on the machine
    return out
