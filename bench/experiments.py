"""Where a search's time goes, and what the proposed fixes would save.

``python -m bench.experiments SETTINGS [--runs N]`` opens an installation that has
the workbench's indexes and prints, for a few searches, the median time of each
part of ``wb.search`` (plan, SQL per database, copy-key lookups, assembling the
DataFrames, the audit-log append), then the same searches with each proposed fix
patched in memory. Nothing in the library is changed on disk; the installation's
data is not changed (the audit log gets the searches' events, as usual).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event

import dpo_workbench as dw
import dpo_workbench.plan as plan_module
import dpo_workbench.search as search_module
import dpo_workbench.workbench as workbench_module
from dpo_workbench.criteria import PHONE_SEPARATORS
from dpo_workbench.demo.samples import AINO, SWITCHBOARD

from .searches import Search

SEARCHES = [Search("phone7", False, AINO), Search("phone7", True, AINO),
            Search("email", False, AINO), Search("combined", True, AINO),
            Search("phone7", False, SWITCHBOARD), Search("phone3", False, AINO)]


class Clock:
    """Adds up the time spent in wrapped functions during one search."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - started
        return timed


@contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def components(wb: Any, search: Search, runs: int) -> tuple[dict[str, float], int]:
    """Median ms of each part of wb.search over ``runs`` runs (after one warm-up); items."""
    per_run: list[dict[str, float]] = []
    items = 0
    for i in range(runs + 1):
        clock = Clock()
        with patched(workbench_module, "build_plan",
                     clock.wrap("plan", workbench_module.build_plan)), \
             patched(search_module, "_run_database",
                     clock.wrap("sql (threads)", search_module._run_database)), \
             patched(search_module, "_existing_keys",
                     clock.wrap("copy keys", search_module._existing_keys)), \
             patched(search_module, "_assemble",
                     clock.wrap("assemble", search_module._assemble)), \
             patched(workbench_module.Workbench, "record",
                     clock.wrap("audit append", workbench_module.Workbench.record)):
            started = time.perf_counter()
            result = wb.search(**search.fields)
            clock.parts["total"] = time.perf_counter() - started
        items = result.total
        if i:
            per_run.append(clock.parts)
    keys = per_run[0].keys()
    return {k: statistics.median(r.get(k, 0.0) for r in per_run) * 1000 for k in keys}, items


def interleaved(wb: Any, runs: int,
                variants: dict[str, Callable[[], Any]]) -> dict[str, dict[str, float]]:
    """Median ms of each search under each variant, the variants taking turns run by run.

    ``variants`` maps a name to a context-manager factory that applies the change. Taking
    turns spreads the machine's changing load evenly over the variants.
    """
    times: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    for s in SEARCHES:
        key = f"{s.subject.key}:{s.label}"
        for i in range(runs + 1):
            for name, make in variants.items():
                with make():
                    started = time.perf_counter()
                    wb.search(**s.fields)
                    took = time.perf_counter() - started
                if i:  # the first round warms up
                    times[name].setdefault(key, []).append(took)
    return {v: {k: statistics.median(t) * 1000 for k, t in by.items()}
            for v, by in times.items()}


# --------------------------------------------------------------------------------------
# Proposed fixes, patched in memory


_DELETE = str.maketrans("", "", "".join(PHONE_SEPARATORS))


def fast_term_matches(term: Any, row: Any, criteria: Any) -> bool:
    """term_matches with the criteria's variants computed once and one str.translate."""
    if term.criterion == "phone":
        value = row.get(term.columns[0])
        tail = _tail(criteria)
        return isinstance(value, str) and value.translate(_DELETE)[-len(tail):] == tail
    if term.criterion == "email":
        return _equal(row.get(term.columns[0]), _variants(criteria.email or ""))
    return (_equal(row.get(term.columns[0]), _variants(criteria.first_name or ""))
            and _equal(row.get(term.columns[1]), _variants(criteria.last_name or "")))


@functools.lru_cache(maxsize=64)
def _variants(value: str) -> frozenset[str]:
    return frozenset(plan_module.case_variants(value))


def _tail(criteria: Any) -> str:
    return criteria.phone_tail or ""


def _equal(value: object, variants: frozenset[str]) -> bool:
    if not isinstance(value, str):
        return False
    v = value.strip(" ")
    return plan_module.ascii_lower(v) in variants or v.lower() in variants


def no_audit(self: Any, *args: Any, **kwargs: Any) -> None:
    return None


def pg_engines(wb: Any, mode: str) -> dict[str, Any]:
    """wb.engines with PostgreSQL engines that prepare every statement, in plan_cache_mode."""
    out = dict(wb.engines)
    for db, engine in wb.engines.items():
        if engine.dialect.name == "postgresql":
            out[db] = create_engine(engine.url, connect_args={
                "prepare_threshold": 0, "options": f"-c plan_cache_mode={mode}"})
    return out


def audit_modes(folder: Path, runs: int = 40) -> dict[str, float]:
    """Median ms of one audit append (a search event) per state-database mode.

    On fresh logs in a temporary folder beside the installation (same disk), so the
    installation's own log is not changed.
    """
    from dpo_workbench.audit import Action, AuditLog
    from dpo_workbench.criteria import Criteria

    criteria = Criteria.parse(phone=AINO.phone, digits=7)
    modes = {"as is (rollback journal: state DB used by the audit log only)": None,
             "WAL, synchronous=FULL (as after the first erasure)": "FULL",
             "WAL, synchronous=NORMAL": "NORMAL"}
    logs = {}
    times: dict[str, list[float]] = {label: [] for label in modes}
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        for i, (label, sync) in enumerate(modes.items()):
            log = AuditLog(f"sqlite:///{tmp}/state{i}.sqlite", b"k" * 32)
            if sync:
                log._engine.dispose()

                @event.listens_for(log._engine, "connect")
                def _wal(dbapi_conn: Any, _record: Any, sync: str = sync) -> None:
                    dbapi_conn.execute("PRAGMA journal_mode = WAL")
                    dbapi_conn.execute(f"PRAGMA synchronous = {sync}")
            logs[label] = log
        for _ in range(runs):  # the modes take turns
            for label, log in logs.items():
                started = time.perf_counter()
                log.record("bench", Action.SEARCH, criteria=criteria,
                           tables={"operative.contact_events": 5}, detail={"items": 5})
                times[label].append(time.perf_counter() - started)
        for log in logs.values():
            log.close()
    return {label: statistics.median(t) * 1000 for label, t in times.items()}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.experiments")
    p.add_argument("settings")
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args(argv)
    with dw.open_workbench(args.settings, user="bench") as wb:
        print("## Parts of wb.search (median ms; items = number found)")
        for s in SEARCHES:
            parts, items = components(wb, s, args.runs)
            print(f"- {s.subject.key}:{s.label} ({items} items): " + ", ".join(
                f"{k} {v:.1f}" for k, v in parts.items()))
        variants: dict[str, Callable[[], Any]] = {
            "as is": contextlib.nullcontext,
            "match reasons computed once per search": lambda: patched(
                search_module, "term_matches", fast_term_matches),
            "no audit append (its share only, not a fix)": lambda: patched(
                workbench_module.Workbench, "record", no_audit),
        }
        if any(e.dialect.name == "postgresql" for e in wb.engines.values()):
            generic, custom = pg_engines(wb, "force_generic_plan"), pg_engines(wb,
                                                                                "force_custom_plan")
            variants["PostgreSQL: generic plans forced"] = lambda: patched(wb, "engines",
                                                                            generic)
            variants["PostgreSQL: custom plans forced"] = lambda: patched(wb, "engines", custom)
        results = interleaved(wb, args.runs, variants)
        names = list(variants)
        print("\n## Whole search, median ms (variants taking turns run by run)")
        print("| search | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for key in results["as is"]:
            print(f"| {key} | " + " | ".join(f"{results[n][key]:.1f}" for n in names) + " |")
        print("\n## One audit-log append (a search event), median ms")
        for label, ms in audit_modes(Path(args.settings).resolve().parent).items():
            print(f"- {label}: {ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
