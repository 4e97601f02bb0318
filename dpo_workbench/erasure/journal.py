"""The erasure journal: a durable record of each run, database by database.

It lives in the state database and holds the plan itself (row keys, and file
paths until those files are gone), so an interrupted run resumes without
searching again: the rows already anonymized would no longer be found.

A run's databases go ``pending`` -> ``committed`` (rows changed, transaction
committed) -> ``done`` (its files deleted too). A step that failed is ``failed``
and is retried by a resume.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    and_,
    insert,
    select,
    update,
)

from .plan import ErasurePlan

PENDING, COMMITTED, DONE, FAILED = "pending", "committed", "done", "failed"
RUNNING, FINISHED, INCOMPLETE = "running", "finished", "incomplete"

_md = MetaData()
runs = Table(
    "erasure_runs", _md,
    Column("run_id", String(32), primary_key=True),
    Column("token", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("user_name", String(128), nullable=False),
    Column("criteria_hash", String(64)),
    Column("status", String(16), nullable=False),
    Column("plan_json", Text, nullable=False),
    Column("receipt_json", Text),
)
steps = Table(
    "erasure_steps", _md,
    Column("run_id", String(32), primary_key=True),
    Column("database_name", String(128), primary_key=True),
    Column("position", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("rows_json", Text),  # {"table": {"anonymized": n, "deleted": n}}
    Column("files_json", Text),  # {"deleted": n, "missing": n}
    Column("error", String(500)),  # the failure's kind, never data
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Step:
    database: str
    status: str
    rows: Mapping[str, Mapping[str, int]]
    files: Mapping[str, int]
    error: str | None
    updated_at: str


@dataclass(frozen=True)
class Run:
    """One erasure run as the journal records it."""

    run_id: str
    token: str
    created_at: str
    finished_at: str | None
    user: str
    criteria_hash: str | None
    status: str
    plan: ErasurePlan
    steps: tuple[Step, ...]
    receipt: Mapping[str, Any] | None

    def step(self, database: str) -> Step:
        return next(s for s in self.steps if s.database == database)

    def story(self) -> str:
        """Which databases are done and which are not, in words."""
        lines = [f"Erasure run {self.run_id} ({self.token}), started {self.created_at} by "
                 f"{self.user}: {self.status}"]
        for s in self.steps:
            what = {PENDING: "not started", COMMITTED: "rows committed, files not yet deleted",
                    DONE: "done", FAILED: f"failed ({s.error}); nothing of it was committed"}
            lines.append(f"  - {s.database}: {what[s.status]}")
        return "\n".join(lines)


class Journal:
    """Reads and writes erasure runs in the state database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        _md.create_all(engine)

    def start(self, plan: ErasurePlan, user: str, criteria_hash: str | None) -> str:
        run_id = uuid.uuid4().hex
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(insert(runs).values(
                run_id=run_id, token=plan.token, created_at=now, user_name=user,
                criteria_hash=criteria_hash, status=RUNNING,
                plan_json=json.dumps(plan.to_json(), default=str)))
            for i, db in enumerate(_step_databases(plan)):
                conn.execute(insert(steps).values(run_id=run_id, database_name=db,
                                                  position=f"{i:04d}", status=PENDING,
                                                  updated_at=now))
        return run_id

    def set_step(self, run_id: str, database: str, status: str, *,
                 rows: Mapping[str, Any] | None = None, files: Mapping[str, int] | None = None,
                 error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": _now(), "error": error}
        if rows is not None:
            values["rows_json"] = json.dumps(rows)
        if files is not None:
            values["files_json"] = json.dumps(files)
        with self.engine.begin() as conn:
            conn.execute(update(steps).where(and_(steps.c.run_id == run_id,
                                                  steps.c.database_name == database))
                         .values(**values))

    def forget_file_paths(self, run_id: str, database: str) -> None:
        """Drop the file paths of a database's deleted files from the stored plan."""
        with self.engine.begin() as conn:
            raw = conn.execute(select(runs.c.plan_json).where(runs.c.run_id == run_id)).scalar()
            data = json.loads(raw)
            for f in data["files"]:
                if f["database"] == database:
                    f["path"] = ""
            conn.execute(update(runs).where(runs.c.run_id == run_id)
                         .values(plan_json=json.dumps(data, default=str)))

    def finish(self, run_id: str, status: str, receipt: Mapping[str, Any] | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(
                status=status, finished_at=_now() if status == FINISHED else None,
                receipt_json=json.dumps(receipt, default=str) if receipt is not None else None))

    def load(self, run_id: str) -> Run:
        with self.engine.connect() as conn:
            r = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().first()
            if r is None:
                raise KeyError(f"no erasure run {run_id} in the journal")
            st = conn.execute(select(steps).where(steps.c.run_id == run_id)
                              .order_by(steps.c.position)).mappings().all()
        return Run(
            run_id=r["run_id"], token=r["token"], created_at=r["created_at"],
            finished_at=r["finished_at"], user=r["user_name"], criteria_hash=r["criteria_hash"],
            status=r["status"], plan=ErasurePlan.from_json(json.loads(r["plan_json"])),
            steps=tuple(Step(database=s["database_name"], status=s["status"],
                             rows=json.loads(s["rows_json"] or "{}"),
                             files=json.loads(s["files_json"] or "{}"), error=s["error"],
                             updated_at=s["updated_at"]) for s in st),
            receipt=json.loads(r["receipt_json"]) if r["receipt_json"] else None,
        )

    def unfinished(self) -> list[Run]:
        """Runs that did not finish (interrupted or failed), oldest first."""
        with self.engine.connect() as conn:
            ids = conn.execute(select(runs.c.run_id).where(runs.c.status != FINISHED)
                               .order_by(runs.c.created_at)).scalars().all()
        return [self.load(i) for i in ids]

    def runs(self, limit: int = 20) -> list[Run]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(runs.c.run_id).order_by(runs.c.created_at.desc())
                               .limit(limit)).scalars().all()
        return [self.load(i) for i in ids]


def _step_databases(plan: ErasurePlan) -> list[str]:
    dbs = list(plan.databases)
    for f in plan.files:
        if f.database not in dbs:
            dbs.append(f.database)
    return dbs
