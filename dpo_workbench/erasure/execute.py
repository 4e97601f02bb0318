"""Executing an erasure plan: one transaction per database, files after commit.

Per database: the journal says ``applying``; one transaction checks each planned
row's fingerprint, changes the child rows of the parents still held by the
person, then those parents and copies (rows whose key now holds other data are
left alone and counted); once committed the journal says so with true counts, the
database's files are erased (:func:`~dpo_workbench.files.remove_stored`, every
outcome recorded, none stopping the run) and SQLite's files are scrubbed. Waits
for other sessions' locks are bounded; a failure rolls that database back,
records its kind (never data) and stops; the databases committed before it stay
done. :func:`resume` carries a run forward from wherever it stopped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..batches import chunks, existing_keys
from ..errors import ConfirmationError, ErasureIncomplete
from ..files import MISSING, REMOVED, inspect_stored, remove_stored
from ..installation import Installation
from ..progress import Progress
from . import sqlitefiles
from .faults import fault_point
from .journal import APPLYING, COMMITTED, DONE, EXECUTED, FAILED, INCOMPLETE, PENDING, Journal, Run
from .plan import ErasurePlan, Target, row_fingerprint
from .strategies import STRATEGIES, RowAction

log = logging.getLogger("dpo_workbench.erasure")

StepHook = Callable[[str, str], None]  # (database, new status)


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


@dataclass
class _Outcome:
    """What one database's transaction did."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    acted: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, table: str, what: str, n: int) -> None:
        if n:
            by_table = self.counts.setdefault(table, {})
            by_table[what] = by_table.get(what, 0) + n

    def json(self) -> dict[str, Any]:
        return {"counts": self.counts, "acted": self.acted}


def resume(inst: Installation, journal: Journal, run_id: str, *, fingerprint_key: bytes,
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
        status = step.status
        if status in (PENDING, FAILED, APPLYING):
            resumed = status == APPLYING
            journal.set_step(run_id, db, APPLYING)
            fault_point(f"{db}.applying")
            try:
                outcome = _apply(inst, db, plan, fingerprint_key, resumed=resumed)
            except SQLAlchemyError as exc:
                kind = _failure_kind(inst, db, exc)
                journal.set_step(run_id, db, FAILED, error=kind)
                journal.set_status(run_id, INCOMPLETE)
                log.warning("erasure run %s: database %s failed (%s)", run_id, db, kind)
                raise ErasureIncomplete(journal.load(run_id)) from None
            fault_point(f"{db}.committed")
            journal.set_step(run_id, db, COMMITTED, rows=outcome.json())
            fault_point(f"{db}.journaled")
            if on_step:
                on_step(db, COMMITTED)
            status = COMMITTED
        if status == DONE and step.scrub:
            scrub = sqlitefiles.scrub(inst.engines.get(db), inst.settings.erasure)
            journal.set_step(run_id, db, DONE, files={"outcomes": step.files, "scrub": scrub})
        if status == COMMITTED:
            now = journal.load(run_id).step(db)
            present = now.present
            if present is None:  # before the first file goes: which ones are there
                present = present_files(inst, plan, db)
                journal.set_step(run_id, db, COMMITTED, files={"present": present})
            outcomes = delete_files(inst, plan, db, now.acted, present=present)
            scrub = sqlitefiles.scrub(inst.engines.get(db), inst.settings.erasure)
            journal.set_step(run_id, db, DONE, files={"outcomes": outcomes, "scrub": scrub})
            fault_point(f"{db}.done")
            if on_step:
                on_step(db, DONE)
    if progress:
        progress("erasure done", total, total)
    journal.set_status(run_id, EXECUTED)
    fault_point("executed")
    return journal.load(run_id)


def _failure_kind(inst: Installation, database: str, exc: SQLAlchemyError) -> str:
    """The failure in words, without data: a lock wait that timed out says so."""
    orig = getattr(exc, "orig", None) or exc
    if sqlitefiles.is_lock_timeout(orig):
        seconds = inst.settings.erasure.lock_timeout_seconds
        return (f"locked by another session (waited {seconds:g} s); nothing of it was changed: "
                "resume later")
    return f"{type(exc).__name__}: {type(orig).__name__}"


def _apply(inst: Installation, database: str, plan: ErasurePlan, key: bytes, *,
           resumed: bool) -> _Outcome:
    """One database's rows, in one transaction (see the module notes)."""
    outcome = _Outcome()
    targets = plan.targets_in(database)
    if not targets:
        return outcome
    engine = inst.engines[database]
    with sqlitefiles.erasure_connection(engine, inst.settings.erasure) as conn, conn.begin():
        ours: dict[str, list[Any]] = {}
        for t in targets:
            if not t.is_child:
                ours[t.label] = _classify(conn, inst.table(database, t.table), t, key,
                                          outcome, resumed)
        fault_point(f"{database}.classified")
        for t in targets:
            if t.is_child and t.parent is not None:
                parents = ours.get(t.parent, [])
                table = inst.table(database, t.table)
                if resumed:  # an earlier attempt may have committed: its children count too
                    acting = set(parents)
                    earlier = [k for k in outcome.acted.get(t.parent, []) if k not in acting]
                    outcome.add(t.table, _done_word(t), _erased_children(conn, table, t, earlier))
                n = _change(conn, table, t, t.parent_column or "", parents)
                outcome.add(t.table, _done_word(t), n)
        for t in targets:
            if not t.is_child:
                n = _change(conn, inst.table(database, t.table), t, t.key_column,
                            ours[t.label])
                outcome.add(t.table, _done_word(t), n)
        fault_point(f"{database}.before_commit")
    return outcome


def _done_word(t: Target) -> str:
    return "deleted" if t.action is RowAction.DELETE else "anonymized"


def _classify(conn: Connection, table: Table, t: Target, key: bytes, outcome: _Outcome,
              resumed: bool) -> list[Any]:
    """The planned keys to act on now; ``outcome.acted`` also gets those already erased.

    A row whose fingerprint is the planned one is the person's: act on it. A missing
    row, or an anonymized row whose erased columns hold only their strategies'
    values, is already erased: by this run's earlier attempt when ``resumed`` (it
    committed before the journal could say so), else by someone else. Any other
    row holds other data now (its key was reused): it is left alone.
    """
    planned = t.planned()
    columns = [t.key_column, *t.fingerprint_columns]
    found: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(list(planned)):
        stmt = select(*[table.c[c] for c in dict.fromkeys(columns)]).where(
            table.c[t.key_column].in_(chunk))
        if conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()  # nobody changes them between check and change
        for r in conn.execute(stmt).mappings():
            found[r[t.key_column]] = dict(r)
    act: list[Any] = []
    already: list[Any] = []
    changed = 0
    for k, fp in planned.items():
        row = found.get(k)
        if row is not None and row_fingerprint(key, row, t.fingerprint_columns) == fp:
            act.append(k)
        elif row is None or (t.action is RowAction.ANONYMIZE and _erased(row, t.columns)):
            already.append(k)
        else:
            changed += 1
    outcome.acted[t.label] = act + already
    outcome.add(t.table, _done_word(t) if resumed else "already_erased", len(already))
    outcome.add(t.table, "left_alone_changed", changed)
    return act


def _erased_children(conn: Connection, table: Table, t: Target, parents: Sequence[Any]) -> int:
    """Planned child rows of ``parents`` (already erased) that are erased: gone, or anonymized.

    A resumed run whose earlier attempt committed before the journal could say so
    changed them then; the receipt counts them as this run's.
    """
    if not parents or not t.keys:
        return 0
    if t.action is RowAction.DELETE:
        return len(t.keys) - len(existing_keys(conn, table, t.key_column, list(t.keys)))
    planned = set(t.keys)
    n = 0
    for chunk in chunks(list(parents)):
        stmt = select(*[table.c[c] for c in dict.fromkeys([t.key_column, *t.columns])]).where(
            table.c[t.parent_column or ""].in_(chunk))
        n += sum(1 for r in conn.execute(stmt).mappings()
                 if r[t.key_column] in planned and _erased(r, t.columns))
    return n


def _erased(row: Mapping[str, Any], columns: Mapping[str, str]) -> bool:
    return all(STRATEGIES[s].holds(row.get(c)) for c, s in columns.items())


def _change(conn: Connection, table: Table, t: Target, column: str, keys: Sequence[Any]) -> int:
    """Delete or anonymize the rows of ``table`` whose ``column`` is in ``keys``."""
    n = 0
    for chunk in chunks(list(keys)):
        where = table.c[column].in_(chunk)
        if t.action is RowAction.DELETE:
            stmt = delete(table).where(where)
        else:
            values = {col: STRATEGIES[s].value(table.c[col]) for col, s in t.columns.items()}
            stmt = update(table).where(where).values(**values)
        n += conn.execute(stmt).rowcount or 0
    return n


def present_files(inst: Installation, plan: ErasurePlan, database: str) -> list[str]:
    """The owners of the planned files of one database that exist now."""
    return [f.owner for f in plan.files_in(database) if f.relative_path
            and inspect_stored(inst.stores.get(f.store), f.relative_path)[1] is not None]


def delete_files(inst: Installation, plan: ErasurePlan, database: str,
                 acted: Mapping[str, Sequence[Any]], *,
                 present: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Erase the planned files of one database whose rows were acted on; one outcome each.

    A file whose row was left alone (its key holds other data now) is not touched.
    A file of ``present`` (it existed when this run began erasing them) that is
    missing now was removed by an earlier attempt of the run: it counts as removed.
    Nothing here stops the run: every outcome is recorded for the receipt.
    """
    existed = set(present)
    owners = {(label, str(k)) for label, keys in acted.items() for k in keys}
    out: list[dict[str, Any]] = []
    for f in plan.files_in(database):
        record = {"owner": f.owner, "store": f.store, "kind": f.kind}
        if not f.relative_path:
            continue  # handled by an earlier attempt; the journal forgot the path
        if (f.item, str(f.item_key)) not in owners:
            out.append({**record, "status": "skipped", "why": "its row now holds other data"})
            continue
        try:
            status, why = remove_stored(inst.stores.get(f.store), f.relative_path)
        except OSError as exc:
            status, why = "refused", f"it could not be erased ({os.strerror(exc.errno or 0)})"
        if status == MISSING and f.owner in existed:
            status = REMOVED  # by this run, before it was interrupted
        if status != REMOVED:
            log.warning("erasure: a file of %s was %s (%s)", f.owner, status, why)
        out.append({**record, "status": status, "why": why})
        fault_point(f"{database}.file")
    return out
