"""The deep sweep of an installation: every database and file store, concurrently.

:func:`sweep` reads the schema of every database of the settings file (those the
datamap does not name too), then sweeps them, one thread per database and one per
file store, and reports progress per table and store. With an erasure run, the
mentions in rows the run acted on (or in files it planned to delete) are marked
*erased*: the receipt lists them as problems; the others are "mentions outside
the erased items".
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from ..batches import chunks
from ..criteria import Criteria
from ..engines import database_engine
from ..errors import WorkbenchError
from ..installation import Installation
from ..progress import Progress
from ..values import json_value
from .model import Mention, SweepResult, key_id
from .rules import KIND_WORDS, Rules
from .stores import StoreSweep, sweep_store
from .tables import SweptTable, Unit, reflect_all, sweep_unit, units

if TYPE_CHECKING:
    from ..erasure.journal import Run


def identifiers(rules: Rules) -> tuple[str, ...]:
    """What the sweep looks for, in words (no values)."""
    words = {"email": "e-mail address (any case, NFC/NFD)",
             "phone": f"phone number's last {len(rules.tail)} digits (any separators)",
             "name": "first and last name"}
    return tuple(words[k] for k in rules.kinds_given if k in KIND_WORDS)


def open_engines(inst: Installation) -> tuple[dict[str, Engine], dict[str, Engine], list[str]]:
    """(every database's engine, the ones opened here to dispose after, failures)."""
    engines = dict(inst.engines)
    opened: dict[str, Engine] = {}
    failed = []
    for name, url in inst.settings.databases.items():
        if name not in engines:
            try:
                opened[name] = engines[name] = database_engine(name, url, inst.settings.path)
            except WorkbenchError:
                failed.append(f"database {name} could not be opened (check databases.{name})")
    return engines, opened, failed


def _reflect(name: str, engine: Engine) -> tuple[str, list[Unit] | None, int, int]:
    """A database's units of work, its tables and text columns (None: it cannot be read)."""
    try:
        with engine.connect() as conn:
            tables = reflect_all(conn, name)
            return (name, [u for t in tables for u in units(conn, t)], len(tables),
                    sum(len(t.columns) for t in tables))
    except SQLAlchemyError:
        return name, None, 0, 0


class _Progress:
    """Thread-safe progress over every unit and store."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress = progress
        self.total = total
        self.done = 0
        self.lock = threading.Lock()

    def step(self, message: str) -> None:
        with self.lock:
            self.done += 1
            if self.progress:
                self.progress(message, self.done, self.total)


def sweep(inst: Installation, criteria: Criteria, *, run: Run | None = None,
          progress: Progress | None = None, workers: int | None = None) -> SweepResult:
    """Sweep every database and file store for the criteria's identifiers.

    As many threads as databases take the largest part not yet swept (a table, or
    a range of a large SQLite table's rows), so every database is swept at once and
    a large one is shared; each file store has a thread of its own.

    Parameters
    ----------
    run : Run, optional
        An erasure run: mentions in rows it acted on (and in files it planned to
        delete) are marked erased.
    progress : callable, optional
        ``progress(message, done, total)`` after each part and each store.
    workers : int, optional
        Threads for the databases (default: one per database); 1 sweeps one part,
        then one store, after the other (the benchmark compares the two).
    """
    started = time.perf_counter()
    rules = Rules(criteria)
    result = SweepResult(identifiers(rules))
    engines, opened, failed = open_engines(inst)
    result.not_swept += failed
    try:
        with ThreadPoolExecutor(max_workers=workers or max(1, len(engines)),
                                thread_name_prefix="dpo-sweep") as pool, \
                ThreadPoolExecutor(max_workers=max(1, len(inst.stores)),
                                   thread_name_prefix="dpo-sweep-files") as files:
            work: list[Unit] = []
            tables: dict[str, list[SweptTable]] = {}
            # Reflected here, one database after the other (milliseconds each): the
            # warnings filter that hides the expression indexes is process-wide.
            for name, found, n_tables, n_columns in (_reflect(*i) for i in engines.items()):
                if found is None:
                    result.not_swept.append(f"database {name} could not be read")
                    continue
                result.databases += 1
                result.tables += n_tables
                result.columns += n_columns
                work += found
                tables[name] = list({id(u.swept): u.swept for u in found}.values())
            bar = _Progress(progress, len(work) + len(inst.stores))
            if progress:
                progress("sweeping every database and file store", 0, bar.total)

            def store_job(name: str, root: Any) -> StoreSweep:
                swept = sweep_store(name, root, rules)
                bar.step(f"swept file store {name}")
                return swept

            store_pool = pool if workers == 1 else files  # 1: truly one thing at a time
            store_jobs = [store_pool.submit(store_job, name, root)
                          for name, root in inst.stores.items()]
            work.sort(key=lambda u: -u.weight)
            jobs = [(u, pool.submit(_sweep_unit, engines[u.swept.database], u, rules, bar))
                    for u in work]
            failed_tables: set[str] = set()
            for unit, job in jobs:
                mentions, candidates, error = job.result()
                result.mentions += mentions
                result.candidates += candidates
                where = f"{unit.swept.database}.{unit.swept.name}"
                if error and where not in failed_tables:
                    failed_tables.add(where)
                    result.not_swept.append(f"{where} could not be read ({error})")
            for sjob in store_jobs:
                _add_store(result, sjob.result())
        if run is not None:
            rows = erased_rows(inst, engines, tables, run)
            planned = {(f.store, f.relative_path) for f in run.plan.files if f.relative_path}
            result.mark_erased(rows, planned)
    finally:
        for engine in opened.values():
            engine.dispose()
    result.mentions.sort()
    result.files.sort()
    result.seconds = time.perf_counter() - started
    return result


def _sweep_unit(engine: Engine, unit: Unit, rules: Rules,
                bar: _Progress) -> tuple[list[Mention], int, str]:
    """One unit in a worker thread: (mentions, candidate rows, the failure's kind or "")."""
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            mentions, candidates = sweep_unit(conn, unit, rules)
    except SQLAlchemyError as exc:
        # The driver's message may quote the pieces searched for: name the failure only.
        bar.step(f"could not sweep {unit.label}")
        return [], 0, type(exc).__name__
    bar.step(f"swept {unit.label} ({time.perf_counter() - started:.1f} s)")
    return mentions, candidates, ""


def _add_store(result: SweepResult, swept: StoreSweep) -> None:
    result.files += swept.mentions
    result.files_searched += swept.searched
    for why, n in swept.skipped.items():
        result.files_skipped[why] = result.files_skipped.get(why, 0) + n


def erased_rows(inst: Installation, engines: dict[str, Engine],
                plans: dict[str, list[SweptTable]], run: Run) -> set[tuple[str, str, str]]:
    """``(database, table, key id)`` of every row the run acted on, keyed as the sweep keys."""
    acted: dict[str, list[Any]] = {}
    for s in run.steps:
        for label, keys in s.acted.items():
            acted.setdefault(label, []).extend(keys)
    out: set[tuple[str, str, str]] = set()
    for t in run.plan.targets:
        swept = next((s for s in plans.get(t.database, []) if s.name == t.table), None)
        if swept is None or not swept.key:
            continue
        column = t.parent_column if t.is_child and t.parent_column else t.key_column
        keys = acted.get(t.parent if t.is_child and t.parent else t.label, [])
        with engines[t.database].connect() as conn:
            for chunk in chunks(keys):
                stmt = select(*swept.key_columns()).where(swept.table.c[column].in_(chunk))
                for row in conn.execute(stmt).mappings():
                    values = [json_value(row[k]) for k in swept.key]
                    out.add((t.database, t.table, key_id(values[0] if len(values) == 1
                                                         else values)))
    return out
