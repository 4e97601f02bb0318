"""The erasure journal: a durable record of each run, database by database.

It lives in the state database and holds the plan itself (row keys with their
fingerprints, and file paths until the receipt is stored), so an interrupted run
resumes without searching again: the rows already anonymized would no longer be
found. The journal is **evidence, not an instruction**: the stored plan is sealed
with a MAC under the audit key, bound to its run and token, and a resume refuses
a plan whose seal does not match; execution then acts only on rows whose
fingerprint is still the planned one.

A run's databases go ``pending`` -> ``applying`` (the transaction may be running
or committed: a resume looks at the rows to tell) -> ``committed`` (rows changed)
-> ``done`` (its files handled, SQLite files scrubbed). A step that failed is
``failed`` and is retried by a resume. The run is ``running`` until every step is
done, then ``executed`` until its receipt is stored, then ``finished``; a failed
step makes it ``incomplete``. One plan (one token) executes in one run only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    and_,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from ..audit import open_audit_log
from ..engines import describe_url, state_engine
from ..errors import (
    ConfirmationError,
    DatabaseError,
    ErasureStopped,
    JournalTampered,
    NotFound,
)
from ..selection import RowRef
from ..settings import Settings
from .plan import ErasurePlan

PENDING, APPLYING, COMMITTED, DONE, FAILED = "pending", "applying", "committed", "done", "failed"
RUNNING, EXECUTED, FINISHED, INCOMPLETE = "running", "executed", "finished", "incomplete"

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
    Column("plan_mac", String(64)),  # the stored plan's seal (see the module notes)
)
steps = Table(
    "erasure_steps", _md,
    Column("run_id", String(32), primary_key=True),
    Column("database_name", String(128), primary_key=True),
    Column("position", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("rows_json", Text),  # counts per table, and which planned keys were acted on
    Column("files_json", Text),  # one outcome per file, and the SQLite scrub
    Column("error", String(500)),  # the failure's kind, never data
)
tokens = Table(
    "erasure_tokens", _md,
    Column("token", String(16), primary_key=True),  # one plan, one run
    Column("run_id", String(32), nullable=False),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Step:
    """One database of a run, as the journal records it."""

    database: str
    status: str
    rows: Mapping[str, Mapping[str, int]]  # table -> {"deleted": n, "anonymized": n, ...}
    acted: Mapping[str, list[Any]]  # target label -> keys acted on (or found already erased)
    files: list[dict[str, Any]]  # one outcome per file: owner, status, why
    scrub: str | None  # None: nothing to scrub or done; else why it is pending
    error: str | None
    updated_at: str
    #: Owners of the planned files that existed when the step began erasing them
    #: (None until then): one missing later was erased by this run, not missing before.
    present: tuple[str, ...] | None = None

    def file_counts(self) -> dict[str, int]:
        """Files per outcome (``removed``, ``missing``, ``refused``...)."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f["status"]] = out.get(f["status"], 0) + 1
        return out


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
        if self.status == EXECUTED and self.receipt is not None:
            state = ("executed; its receipt is NOT verified: fix the problems it lists, then "
                     "resume to verify again")
        else:
            state = {EXECUTED: "executed, not yet verified (no receipt)"}.get(self.status,
                                                                               self.status)
        lines = [f"Erasure run {self.run_id} ({self.token}), started {self.created_at} by "
                 f"{self.user}: {state}"]
        for s in self.steps:
            what = {PENDING: "not started",
                    APPLYING: "started; a resume finds out from the rows whether it committed",
                    COMMITTED: "rows committed, files not yet deleted",
                    DONE: "done", FAILED: f"failed ({s.error}); nothing of it was committed"}
            lines.append(f"  - {s.database}: {what[s.status]}")
        return "\n".join(lines)


class Journal:
    """Reads and writes erasure runs in the state database.

    ``key`` is the audit key: it seals each stored plan.
    """

    def __init__(self, engine: Engine, key: bytes):
        self.engine = engine
        self._key = hmac.new(key, b"dpo-workbench erasure journal v1", hashlib.sha256).digest()
        _md.create_all(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("erasure_runs")}
        if "plan_mac" not in columns:  # a journal written before plans were sealed
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE erasure_runs ADD COLUMN plan_mac VARCHAR(64)"))

    @contextmanager
    def _writing(self, run_id: str) -> Iterator[Connection]:
        """A transaction on the run's journal; a failed write stops the run in words."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise ErasureStopped(run_id, "The erasure journal in the state database "
                                 f"{describe_url(self.engine.url)} could not be written "
                                 f"({_reason(exc)}).") from None

    def _seal(self, run_id: str, token: str, plan_json: str) -> str:
        payload = json.dumps([run_id, token, plan_json]).encode("utf-8")
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def start(self, plan: ErasurePlan, user: str, criteria_hash: str | None) -> str:
        """Record a new run of ``plan``; return its id.

        Raises
        ------
        ConfirmationError
            The plan (its token) was executed already, or is being executed now.
        """
        run_id = uuid.uuid4().hex
        now = _now()
        token = plan.token
        plan_json = json.dumps(plan.to_json(), default=str)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(tokens).values(token=token, run_id=run_id))
                conn.execute(insert(runs).values(
                    run_id=run_id, token=token, created_at=now, user_name=user,
                    criteria_hash=criteria_hash, status=RUNNING, plan_json=plan_json,
                    plan_mac=self._seal(run_id, token, plan_json)))
                for i, db in enumerate(plan.databases):
                    conn.execute(insert(steps).values(run_id=run_id, database_name=db,
                                                      position=f"{i:04d}", status=PENDING,
                                                      updated_at=now))
        except OperationalError as exc:
            raise DatabaseError("The erasure journal in the state database "
                                f"{describe_url(self.engine.url)} could not be written "
                                f"({_reason(exc)}); nothing was changed.") from None
        except IntegrityError:
            raise ConfirmationError(
                f"The plan {token} has been executed already (or is being executed now); "
                "nothing was changed. See `dpo-workbench erase --status`.") from None
        return run_id

    def set_step(self, run_id: str, database: str, status: str, *,
                 rows: Mapping[str, Any] | None = None,
                 files: Mapping[str, Any] | None = None, error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": _now(), "error": error}
        if rows is not None:
            values["rows_json"] = json.dumps(rows, default=str)
        if files is not None:
            values["files_json"] = json.dumps(files, default=str)
        with self._writing(run_id) as conn:
            conn.execute(update(steps).where(and_(steps.c.run_id == run_id,
                                                  steps.c.database_name == database))
                         .values(**values))

    def forget_file_paths(self, run_id: str) -> None:
        """Drop the file paths from the stored plan (once the receipt holds the outcome)."""
        with self._writing(run_id) as conn:
            self._forget_file_paths(conn, run_id)

    def finish(self, run_id: str, receipt: Mapping[str, Any]) -> None:
        """Store the verified receipt and forget the file paths, in one transaction: a run
        is either finished without paths, or still open for a resume."""
        with self._writing(run_id) as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(
                status=FINISHED, finished_at=_now(),
                receipt_json=json.dumps(receipt, default=str)))
            self._forget_file_paths(conn, run_id)

    def _forget_file_paths(self, conn: Connection, run_id: str) -> None:
        row = conn.execute(select(runs.c.plan_json, runs.c.token)
                           .where(runs.c.run_id == run_id)).first()
        if row is None:
            return
        data = json.loads(row.plan_json)
        for f in data["files"]:
            f["path"] = ""
        plan_json = json.dumps(data, default=str)
        conn.execute(update(runs).where(runs.c.run_id == run_id).values(
            plan_json=plan_json, plan_mac=self._seal(run_id, row.token, plan_json)))

    def set_status(self, run_id: str, status: str,
                   receipt: Mapping[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status,
                                  "finished_at": _now() if status == FINISHED else None}
        if receipt is not None:
            values["receipt_json"] = json.dumps(receipt, default=str)
        with self._writing(run_id) as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))

    def load(self, run_id: str) -> Run:
        """The run ``run_id``, its seal checked.

        Raises
        ------
        NotFound
            There is no such run.
        JournalTampered
            The stored plan does not match its seal: it was changed outside the
            workbench (or the run was written before plans were sealed).
        """
        with self.engine.connect() as conn:
            r = conn.execute(select(runs).where(runs.c.run_id == str(run_id)[:64])
                             ).mappings().first()
            if r is None:
                raise NotFound(f"There is no erasure run {str(run_id)[:40]!r} in the journal; "
                               "`dpo-workbench erase --status` lists the unfinished ones.")
            st = conn.execute(select(steps).where(steps.c.run_id == run_id)
                              .order_by(steps.c.position)).mappings().all()
        expected = self._seal(r["run_id"], r["token"], r["plan_json"])
        if not r["plan_mac"] or not hmac.compare_digest(expected, r["plan_mac"]):
            raise JournalTampered(
                f"The stored plan of erasure run {r['run_id']} does not match its seal: it was "
                "changed outside the workbench (or written by an older version). It is not "
                "executed. Plan the erasure again and check the audit log.")
        return Run(
            run_id=r["run_id"], token=r["token"], created_at=r["created_at"],
            finished_at=r["finished_at"], user=r["user_name"], criteria_hash=r["criteria_hash"],
            status=r["status"], plan=ErasurePlan.from_json(json.loads(r["plan_json"])),
            steps=tuple(_step(s) for s in st),
            receipt=json.loads(r["receipt_json"]) if r["receipt_json"] else None,
        )

    def unfinished(self) -> list[Run]:
        """Runs without a stored receipt (interrupted, failed, or not verified), oldest first."""
        with self.engine.connect() as conn:
            ids = conn.execute(select(runs.c.run_id).where(runs.c.status != FINISHED)
                               .order_by(runs.c.created_at)).scalars().all()
        return [self.load(i) for i in ids]

    def unfinished_ids(self) -> list[str]:
        """The ids of the runs without a receipt (their seals are not checked)."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(runs.c.run_id).where(runs.c.status != FINISHED)
                                     .order_by(runs.c.created_at)).scalars())

    def unfinished_run_of(self, token: str) -> str | None:
        """The id of the unfinished run of the plan ``token``, if there is one."""
        with self.engine.connect() as conn:
            return conn.execute(select(runs.c.run_id).where(
                and_(runs.c.token == token, runs.c.status != FINISHED))).scalar()

    def stories(self) -> list[tuple[str, str]]:
        """``(run id, story)`` of each unfinished run; a tampered one is said as such."""
        out = []
        for run_id in self.unfinished_ids():
            try:
                out.append((run_id, self.load(run_id).story()))
            except JournalTampered as exc:
                out.append((run_id, f"Erasure run {run_id}: {exc}"))
        return out

    def overlapping(self, items: Iterable[RowRef]) -> list[str]:
        """Unfinished runs that erase any of ``items``: a new run must resume them instead."""
        wanted = {(r.database, r.table, str(r.key)) for r in items}
        out = []
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs.c.run_id, runs.c.plan_json)
                                .where(runs.c.status != FINISHED)).all()
        for run_id, plan_json in rows:
            planned = {(d, t, str(k)) for d, t, k in json.loads(plan_json)["items"]}
            if planned & wanted:
                out.append(run_id)
        return out

    def runs(self, limit: int = 20) -> list[Run]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(runs.c.run_id).order_by(runs.c.created_at.desc())
                               .limit(limit)).scalars().all()
        return [self.load(i) for i in ids]


def _reason(exc: OperationalError) -> str:
    """The database's own words for a failed write (its first line; never the statement)."""
    orig = getattr(exc, "orig", None)
    words = str(orig.args[0]) if orig is not None and orig.args else type(exc).__name__
    return words.splitlines()[0][:200] if words else type(exc).__name__


def _step(s: Mapping[str, Any]) -> Step:
    rows = json.loads(s["rows_json"] or "{}")
    files = json.loads(s["files_json"] or "{}")
    return Step(database=s["database_name"], status=s["status"],
                rows=rows.get("counts", {}), acted=rows.get("acted", {}),
                files=list(files.get("outcomes", [])), scrub=files.get("scrub"),
                error=s["error"], updated_at=s["updated_at"],
                present=tuple(files["present"]) if "present" in files else None)


def open_journal(settings: Settings) -> Journal:
    """The journal of an installation: its state database and audit key only.

    Neither the datamap nor the installation's databases are needed, so the
    status of unfinished runs can be read while any of them is down.
    """
    with open_audit_log(settings) as audit:
        key = audit.key
    return Journal(state_engine(settings.state_url), key)
