"""What the public API adds to the SQL of a search, measured side by side in one run.

For each search (the subjects and kinds of :mod:`.searches`), in interleaved runs
after one warm-up of each:

- **whole**: ``wb.search(...)`` end to end, what a user waits for;
- **SQL alone**: the plan's statements, built once beforehand, executed and fetched
  on one connection per database, one database after the other (no plan building,
  no records, no audit log);
- the parts of the whole: **plan** (``wb.plan``: criteria validated, one select per
  table), **execute** (``execute_plan``'s own clock: the statements on the
  installation's search threads, and the rows assembled into each group's records;
  the typed DataFrames are built later, on first use), and the **audit append** (one
  search event written to the hash-chained log).

The log writes its head file after an append, on a thread of its own; each part's
clock starts only once that write has ended (``wb.audit.flush()``, untimed), so that
no part pays for the one before it.

The overhead is *whole / SQL alone*; what the parts do not account for (the
difference between the whole and plan + execute + audit append) is the rest of the
call outside these clocks, among it the identity hints of the found rows' match
columns, which ``execute_plan`` computes after its clock stops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dpo_workbench.audit import Action

from .searches import Search, median_ms, statements, timed


def _interleaved(parts: dict[str, Callable[[], Any]], runs: int,
                 settle: Callable[[], Any]) -> dict[str, list[float]]:
    """One warm-up of each part, then ``runs`` rounds of every part in turn.

    ``settle`` runs untimed after each part: what a part left running in the
    background (the audit log's head file, written on a thread of its own after an
    append) ends before the next part's clock starts, not during it.
    """
    for fn in parts.values():
        fn()
        settle()
    times: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(runs):
        for name, fn in parts.items():
            times[name].append(timed(fn)[0])
            settle()
    return times


def overhead_timings(wb: Any, runs: int, searches: list[Search]) -> dict[str, Any]:
    """Whole API search, SQL alone and the parts of the whole, per search."""
    out: dict[str, Any] = {}
    for s in searches:
        plan = wb.plan(**s.fields)
        execute_ms: list[float] = []

        def whole(s: Search = s, clock: list[float] = execute_ms) -> None:
            clock.append(wb.search(**s.fields).elapsed)

        times = _interleaved({
            "whole": whole,
            "sql": lambda plan=plan: statements(wb, plan),
            "plan": lambda s=s: wb.plan(**s.fields),
            "audit": lambda plan=plan: wb.record(Action.SEARCH, criteria=plan.criteria,
                                                 tables={}, detail={"items": 0}),
        }, runs, wb.audit.flush)
        entry = {f"{name}_ms": round(median_ms(values), 3) for name, values in times.items()}
        entry["execute_ms"] = round(median_ms(execute_ms[1:]), 3)  # the search's own clock
        entry["whole_runs_ms"] = [round(t * 1000, 3) for t in times["whole"]]
        entry["sql_runs_ms"] = [round(t * 1000, 3) for t in times["sql"]]
        entry["ratio"] = round(entry["whole_ms"] / entry["sql_ms"], 3)
        entry["items"] = wb.search(**s.fields).total
        out[f"{s.subject.key}:{s.label}"] = entry
    return out
