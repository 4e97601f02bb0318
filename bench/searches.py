"""The searches of the benchmark, and three ways to run them.

- :func:`indexed` / :func:`full_scan`: the public API, ``wb.search(...)``, end to end
  (plan, SQL, assembling the DataFrames, the audit-log append: what a user waits
  for). ``full_scan`` is the same call on the same installation without the
  workbench's indexes, so every stored number is normalised in SQL row by row.
- :func:`sql_only`: the plan's statements alone, fetched on open connections.
- :func:`pandas_way`: what an analyst without the workbench would do: load the
  tables with ``pd.read_sql`` and filter them in pandas, once per search.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

from dpo_workbench.demo.samples import AINO, SOREN, SWITCHBOARD, ZOE, SampleSubject
from dpo_workbench.normalize import PHONE_SEPARATORS, case_variants
from dpo_workbench.query import TableQuery

#: Subjects searched the indexed way (the naive ways search the first one only).
SUBJECTS: tuple[SampleSubject, ...] = (AINO, SOREN, ZOE)
#: The date span of the "with span" searches (a third of the demo's 34 months).
SPAN = {"start": "2025-01-01", "end": "2025-12-31"}


def _kind_fields(kind: str, s: SampleSubject) -> dict[str, Any]:
    name = {"first_name": s.first_name, "last_name": s.last_name}
    return {
        "phone3": {"phone": s.phone, "digits": 3},
        "phone7": {"phone": s.phone, "digits": 7},
        "phone10": {"phone": s.phone, "digits": 10},
        "email": {"email": s.email},
        "name": name,
        "combined": {"phone": s.phone, "digits": 7, "email": s.email, **name},
    }[kind]


KINDS: tuple[str, ...] = ("phone3", "phone7", "phone10", "email", "name", "combined")


@dataclass(frozen=True)
class Search:
    kind: str
    span: bool
    subject: SampleSubject

    @property
    def fields(self) -> dict[str, Any]:
        out = _kind_fields(self.kind, self.subject)
        if self.span:
            out.update(SPAN)
        return out

    @property
    def label(self) -> str:
        return f"{self.kind}{'+span' if self.span else ''}"


def all_searches(subjects: tuple[SampleSubject, ...] = SUBJECTS) -> list[Search]:
    return [Search(k, span, s) for s in subjects for k in KINDS for span in (False, True)]


#: The searches also done the pandas way (its time is the loading of the tables,
#: nearly the same for every kind over the same tables).
PANDAS_LABELS: tuple[str, ...] = ("phone7", "email", "combined+span")
#: The full-scan searches above ``--full-scan-max`` (a 10M scan takes a minute or more).
LARGE_SCAN_LABELS: tuple[str, ...] = ("phone7", "email", "combined+span")


def large_searches() -> list[Search]:
    """Searches with many matches: the switchboard (1,100 events) and N = 3 digits."""
    return [Search("phone7", False, SWITCHBOARD), Search("phone3", False, AINO)]


# --------------------------------------------------------------------------------------
# Timing


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def measure(fn: Callable[[], Any], runs: int, warmup: int = 1) -> tuple[list[float], Any]:
    """Run ``fn`` ``warmup`` times unmeasured, then ``runs`` times; return (seconds, last value)."""
    value = None
    for _ in range(warmup):
        value = fn()
    times = []
    for _ in range(runs):
        took, value = timed(fn)
        times.append(took)
    return times, value


# --------------------------------------------------------------------------------------
# The ways to search


def api_search(wb: Any, search: Search) -> Any:
    return wb.search(**search.fields)


def sql_only(wb: Any, search: Search) -> int:
    """Plan the search and run the plan's statements; return the row count."""
    return statements(wb, wb.plan(**search.fields))


def statements(wb: Any, plan: Any) -> int:
    """Run a plan's statements (per database, one connection each); return the row count."""
    by_db: dict[str, list[TableQuery]] = {}
    for q in plan.queries:
        by_db.setdefault(q.spec.database, []).append(q)
    n = 0
    for db, queries in by_db.items():
        with wb.installation.engines[db].connect() as conn:
            for q in queries:
                n += len(conn.execute(q.statement).fetchall())
    return n


def _separator_pattern() -> str:
    return "[" + "".join(re.escape(s) for s in PHONE_SEPARATORS) + "]"


def pandas_way(wb: Any, search: Search) -> int:
    """Load every searched table's columns with ``pd.read_sql``, filter in pandas.

    Loads only the columns the workbench's own select reads (key, shown, matched
    and time columns): the most favourable form of the naive way. Returns the
    number of rows found (equal to the SQL row count).
    """
    plan = wb.plan(**search.fields)
    c = plan.criteria
    sep = _separator_pattern()
    found = 0
    for q in plan.queries:
        table = wb.installation.table(q.spec.database, q.spec.table)
        cols = [table.c[col.name] for col in q.statement.selected_columns]
        with wb.installation.engines[q.spec.database].connect() as conn:
            df = pd.read_sql(select(*cols), conn)
        mask = pd.Series(False, index=df.index)
        for term in q.terms:
            if term.criterion == "phone":
                tail = c.phone_tail or ""
                digits = df[term.columns[0]].astype("string").str.replace(sep, "", regex=True)
                mask |= (digits.str[-len(tail):] == tail).fillna(False).astype(bool)
            elif term.criterion == "email":
                key = df[term.columns[0]].astype("string").str.strip().str.lower()
                mask |= key.isin(case_variants(c.email or "")).fillna(False).astype(bool)
            else:
                first = df[term.columns[0]].astype("string").str.strip().str.lower()
                last = df[term.columns[1]].astype("string").str.strip().str.lower()
                mask |= (first.isin(case_variants(c.first_name or ""))
                         & last.isin(case_variants(c.last_name or ""))).fillna(False).astype(bool)
        if q.spec.time and (c.start_at or c.end_before):
            t = pd.to_datetime(df[q.spec.time])
            if c.start_at:
                mask &= t >= pd.Timestamp(c.start_at)
            if c.end_before:
                mask &= t < pd.Timestamp(c.end_before)
        found += int(mask.sum())
        del df
    return found
