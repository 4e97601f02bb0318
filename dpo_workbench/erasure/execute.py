"""Executing an erasure plan: one transaction per database, files after commit.

Order per database: its rows change in one transaction (children first); once it
is committed the journal says so, then that database's files are deleted and the
journal says so again. A failure rolls that database back, records the failure
(its kind, never data) and stops; every database committed before it stays done.
Running the same journal entry again (:func:`resume`) skips what is done and
completes the rest: every statement is idempotent (``UPDATE``/``DELETE ... WHERE
key IN``), so a crash between a commit and its journal entry is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, delete, update
from sqlalchemy.exc import SQLAlchemyError

from ..batches import chunks
from ..errors import ConfirmationError, ErasureIncomplete
from ..files import overwrite_and_remove, resolve_file
from ..installation import Installation
from ..progress import Progress
from .journal import COMMITTED, DONE, FAILED, FINISHED, INCOMPLETE, PENDING, Journal, Run
from .plan import ErasurePlan, FileTarget, Target
from .strategies import STRATEGIES, RowAction

log = logging.getLogger("dpo_workbench.erasure")

StepHook = Callable[[str, str], None]  # (database, new status)


@dataclass(frozen=True)
class StepResult:
    rows: dict[str, dict[str, int]]


def check_confirmation(plan: ErasurePlan, typed: object) -> str:
    """The plan's token, when ``typed`` confirms it (any letter case, spaces around).

    The one rule for every face: the command line, the API and the dashboard.

    Raises
    ------
    ConfirmationError
        Nothing is planned, or ``typed`` is not the plan's token; nothing was changed.
    """
    if not plan.targets:
        raise ConfirmationError("Nothing is selected, so there is nothing to erase.")
    if not isinstance(typed, str) or typed.strip().upper() != plan.token:
        raise ConfirmationError(
            "The confirmation does not match this plan's token. Nothing was changed. Make the "
            "plan again, read it, and confirm with the token it shows.")
    return plan.token


def start(journal: Journal, plan: ErasurePlan, token: str, *, user: str,
          criteria_hash: str | None) -> str:
    """Check the confirmation and record the run; return its id."""
    check_confirmation(plan, token)
    return journal.start(plan, user, criteria_hash)


def resume(inst: Installation, journal: Journal, run_id: str, *,
           on_step: StepHook | None = None, progress: Progress | None = None) -> Run:
    """Carry a run forward until every database is done; return the journal's record.

    Raises
    ------
    ErasureIncomplete
        A database could not be changed; the databases before it are done.
    """
    run = journal.load(run_id)
    plan = run.plan
    total = len(run.steps)
    for i, step in enumerate(run.steps):
        db = step.database
        if progress:
            progress(f"erasing in {db}", i, total)
        if step.status in (PENDING, FAILED):
            try:
                result = _apply(inst, db, plan.targets_in(db))
            except SQLAlchemyError as exc:
                kind = type(getattr(exc, "orig", None) or exc).__name__
                journal.set_step(run_id, db, FAILED, error=f"{type(exc).__name__}: {kind}")
                journal.finish(run_id, INCOMPLETE, None)
                log.warning("erasure run %s: database %s failed (%s)", run_id, db, kind)
                raise ErasureIncomplete(journal.load(run_id)) from None
            journal.set_step(run_id, db, COMMITTED, rows=result.rows)
            if on_step:
                on_step(db, COMMITTED)
            step_status = COMMITTED
        else:
            step_status = step.status
        if step_status == COMMITTED:
            files = delete_files(inst, plan.files_in(db))
            journal.set_step(run_id, db, DONE, files=files)
            journal.forget_file_paths(run_id, db)
            _scrub(inst, db)
            if on_step:
                on_step(db, DONE)
    if progress:
        progress("erasure done", total, total)
    journal.finish(run_id, FINISHED, None)
    return journal.load(run_id)


def _apply(inst: Installation, database: str, targets: Sequence[Target]) -> StepResult:
    rows: dict[str, dict[str, int]] = {}
    if not targets:
        return StepResult(rows)
    engine = inst.engines[database]
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # Freed space is zeroed, so erased values do not linger in free pages.
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        for t in targets:
            n = _apply_target(conn, inst.table(database, t.table), t)
            key = "deleted" if t.action is RowAction.DELETE else "anonymized"
            by_table = rows.setdefault(t.table, {})
            by_table[key] = by_table.get(key, 0) + n
    return StepResult(rows)


def _apply_target(conn: Connection, table: Table, target: Target) -> int:
    n = 0
    keys = list(target.keys)
    key_col = table.c[target.key_column]
    for chunk in chunks(keys):
        if target.action is RowAction.DELETE:
            stmt = delete(table).where(key_col.in_(chunk))
        else:
            values = {col: STRATEGIES[strategy].value(table.c[col])
                      for col, strategy in target.columns.items()}
            stmt = update(table).where(key_col.in_(chunk)).values(**values)
        n += conn.execute(stmt).rowcount or 0
    return n


def delete_files(inst: Installation, files: Sequence[FileTarget]) -> dict[str, int]:
    """Delete the plan's files of one database; count deleted and already missing."""
    deleted = missing = refused = 0
    for f in files:
        if not f.relative_path:
            continue  # deleted by an earlier attempt; the journal forgot its path
        path, problem = resolve_file(inst.stores.get(f.store), f.relative_path)
        if path is None:
            refused += 1
            log.warning("erasure: a file path outside its store was not touched (%s)", problem)
            continue
        try:
            overwrite_and_remove(path)
            deleted += 1
        except FileNotFoundError:
            missing += 1
    return {"deleted": deleted, "missing": missing, "refused": refused}


def _scrub(inst: Installation, database: str) -> None:
    """Move committed changes out of SQLite's write-ahead log into the scrubbed file."""
    engine = inst.engines[database]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
