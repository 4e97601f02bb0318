"""Fault injection: an erasure killed at any named point resumes to a true receipt.

The erasure names the points where a test may kill it
(:mod:`dpo_workbench.erasure.faults`). For every point of a run over SQLite,
PostgreSQL and MariaDB, a child process runs ``dpo-workbench erase --confirm`` and
is killed there with SIGKILL; ``erase --status`` must list the run as unfinished,
``erase --resume`` must end with a verified receipt, and then:

- the person's data is gone from every table, text column and file store, and from
  the raw bytes of every SQLite file (its -wal and -journal included);
- everyone else's rows and files are exactly those of a copy made before the
  erasure, and the rows the plan named are deleted or anonymized, nothing else;
- the receipt's counts are the rows and files that really went;
- the journal holds one finished run with its receipt (and no file path any more);
- the audit log tells the story once: planned, executed, verified, chain intact.

The mixed installation's SQLite databases are in WAL mode, as the demo leaves
them. A second installation, on SQLite alone in rollback-journal mode, shows that a
kill with the old pages in a -journal leaves none of them after the resume, and
that confirming the token of an unfinished run again is refused, pointing to
``--resume``.

Each installation is built once per module (and xdist worker) and copied for each
test: SQLite files, file stores and the audit key by plain copy, the PostgreSQL
database by ``CREATE DATABASE ... TEMPLATE``, the MariaDB one table by table. The
demo is the smallest (``EVENTS``): every child process costs more than its data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import demo_installation, require_engine
from dbservers import server_clone
from scan import needles, raw_hits, scan_databases, scan_files
from sqlalchemy import MetaData, select

import dpo_workbench as dw
from dpo_workbench.audit import audit_key_path, load_or_create_key
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO
from dpo_workbench.engines import database_engine
from dpo_workbench.erasure.faults import KILL_AT
from dpo_workbench.erasure.journal import FINISHED, open_journal
from dpo_workbench.erasure.plan import ErasurePlan
from dpo_workbench.erasure.strategies import STRATEGIES, RowAction
from dpo_workbench.errors import EXIT_OK, EXIT_REFUSED
from dpo_workbench.selection import Selection
from dpo_workbench.settings import load_settings

pytestmark = [pytest.mark.engines, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
#: The installation spread over the three engines; directory and outbound stay SQLite.
MIXED = {"operative": "postgresql", "monitoring1": "mariadb"}
#: The smallest demo: the sample subjects' events whole, and one other. Aino is in
#: every result group of it (the fixture checks).
EVENTS = 1
#: The databases of Aino's plan, in the plan's order, and those with files to delete.
PLAN_DATABASES = ("operative", "monitoring1", "directory", "outbound")
WITH_FILES = ("operative", "directory", "outbound")
PER_DATABASE = ("applying", "classified", "before_commit", "committed", "journaled", "file",
                "done")
RUN_WIDE = ("run.recorded", "executed", "audit.executed", "verified", "audit.verified",
            "receipt.stored")
#: Every point of Aino's run, in the order the run passes them. ``<db>.file`` fires
#: after each file, so only where the database has files.
POINTS = ("run.recorded",
          *(f"{db}.{p}" for db in PLAN_DATABASES for p in PER_DATABASE
            if p != "file" or db in WITH_FILES),
          *RUN_WIDE[1:])
#: Points after which the run has its receipt: ``--status`` lists nothing.
AFTER_RECEIPT = ("receipt.stored",)
CHILD_TIMEOUT = 300


# ==================================================================================
# The pristine installation and its copies


@dataclass(frozen=True)
class Pristine:
    """An installation as it was before any erasure, and what erasing Aino must do."""

    folder: Path  # settings, SQLite files, file stores, state: copied per test
    servers: Mapping[str, tuple[str, str]]  # database -> (engine kind, URL of the original)
    token: str  # the token of Aino's plan (the same in every copy: same rows, same key)
    plan: ErasurePlan  # Aino's plan, made on the pristine data
    rows: Mapping[tuple[str, str], Mapping[Any, dict[str, Any]]]  # (db, table) -> pk -> row
    files: Mapping[str, str]  # path under files/ -> sha256 of the content


def _criteria_args(settings: Path) -> list[str]:
    return ["--config", str(settings), "--phone", AINO.phone, "--email", AINO.email]


def _engines(settings: Path) -> dict[str, Any]:
    """An engine for every database of the settings file (the datamap's or not)."""
    s = load_settings(settings)
    return {db: database_engine(db, s.databases[db], s.path) for db in s.databases}


def _stored_columns(table: Any) -> list[Any]:
    """The columns that hold data (not MariaDB's virtual columns of the indexes)."""
    return [c for c in table.c if c.computed is None]


def read_rows(settings: Path) -> dict[tuple[str, str], dict[Any, dict[str, Any]]]:
    """Every row of every table of every database, by primary key."""
    out: dict[tuple[str, str], dict[Any, dict[str, Any]]] = {}
    for db, engine in _engines(settings).items():
        try:
            md = MetaData()
            md.reflect(bind=engine)
            with engine.connect() as conn:
                for table in md.sorted_tables:
                    pk = [c.name for c in table.primary_key.columns]
                    assert pk, f"{db}.{table.name} has no primary key to compare rows by"
                    rows = out.setdefault((db, table.name), {})
                    for r in conn.execute(select(*_stored_columns(table))).mappings():
                        rows[tuple(r[c] for c in pk)] = dict(r)
        finally:
            engine.dispose()
    return out


def file_hashes(folder: Path) -> dict[str, str]:
    """Every file of the file stores, by path under ``files/``: its content's hash."""
    root = folder / "files"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def make_pristine(settings: Path, snapshot: Path) -> Pristine:
    """Keep a copy of the freshly built installation and learn what erasing Aino does."""
    # Its audit key first: the copies share it, so their rows' fingerprints, and the
    # plan's token, are those of the pristine plan.
    load_or_create_key(audit_key_path(load_settings(settings)))
    shutil.copytree(settings.parent, snapshot)
    data = yaml.safe_load(settings.read_text())
    servers = {db: ("postgresql" if url.startswith("postgresql") else "mariadb", url)
               for db, url in data["databases"].items() if not url.startswith("sqlite")}
    with dw.open_workbench(settings, user="dpo") as wb:
        criteria = wb.criteria(phone=AINO.phone, email=AINO.email)
        result = wb.search(criteria)
        assert all(n > 0 for n in result.counts().values()), result.counts()
        plan = wb.plan_erasure(Selection.all(result), criteria=criteria)
    assert plan.databases == PLAN_DATABASES
    assert tuple(db for db in PLAN_DATABASES if plan.files_in(db)) == WITH_FILES
    files = file_hashes(snapshot)
    for f in plan.files:  # every planned file exists: the receipt must count it deleted
        assert f"{f.store}/{f.relative_path}" in files, f.owner
    rows = read_rows(settings)
    for t in plan.targets:  # every planned row is there to compare
        keys = set(t.keys)
        found = [r for r in rows[t.database, t.table].values() if r[t.key_column] in keys]
        assert len(found) == t.rows, t.label
    return Pristine(folder=snapshot, servers=servers, token=plan.token, plan=plan, rows=rows,
                    files=files)


@contextmanager
def installation_copy(pristine: Pristine, folder: Path) -> Iterator[Path]:
    """A copy of the pristine installation in ``folder``; yield its settings file."""
    shutil.copytree(pristine.folder, folder)
    settings = folder / "workbench.yaml"
    with ExitStack() as stack:
        data = yaml.safe_load(settings.read_text())
        for db, (kind, url) in pristine.servers.items():
            data["databases"][db] = stack.enter_context(server_clone(kind, url))
        settings.write_text(yaml.safe_dump(data, sort_keys=False))
        yield settings


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pristine]:
    """The pristine installation over SQLite, PostgreSQL and MariaDB."""
    require_engine("postgresql")
    require_engine("mariadb")
    folder = tmp_path_factory.mktemp("mixed")
    with demo_installation(folder / "built", MIXED, events=EVENTS) as settings:
        yield make_pristine(settings, folder / "pristine")


@pytest.fixture(scope="module")
def sqlite_rollback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pristine]:
    """The pristine installation on SQLite alone, its files in rollback-journal mode.

    The demo leaves its SQLite files in WAL mode (the mixed installation has two);
    an installation's own SQLite files may use either.
    """
    folder = tmp_path_factory.mktemp("sqlite")
    with demo_installation(folder / "built", "sqlite", events=EVENTS) as settings:
        for path in settings.parent.glob("*.sqlite"):
            conn = sqlite3.connect(path)
            try:
                assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
            finally:
                conn.close()
        yield make_pristine(settings, folder / "pristine")


# ==================================================================================
# The command line, as child processes


def cli(*args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``dpo-workbench ARGS`` in a child process of this project's code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop(KILL_AT, None)
    if kill_at is not None:
        env[KILL_AT] = kill_at
    return subprocess.run([sys.executable, "-m", "dpo_workbench.cli", *args], env=env,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT)


def kill_erasure_at(settings: Path, token: str, point: str) -> None:
    proc = cli("erase", *_criteria_args(settings), "--confirm", token, kill_at=point)
    assert proc.returncode == -signal.SIGKILL, (
        f"not killed at {point} (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def the_run_id(settings: Path) -> str:
    [run] = open_journal(load_settings(settings)).runs()
    return run.run_id


def erase_status(settings: Path) -> tuple[list[str], str]:
    """The run ids ``erase --status`` lists, and what it says."""
    proc = cli("erase", "--config", str(settings), "--status")
    assert proc.returncode == EXIT_OK, proc.stderr
    return re.findall(r"^Erasure run ([0-9a-f]{32}) ", proc.stdout, flags=re.M), proc.stdout


#: What ``--status`` says of a database killed at each of its points.
STEP_WORDS = {"applying": "started", "classified": "started", "before_commit": "started",
              "committed": "started", "journaled": "rows committed, files not yet deleted",
              "file": "rows committed, files not yet deleted", "done": "done"}


def expected_steps(point: str) -> list[str]:
    """The lines of ``--status`` for the databases of a run killed at ``point``."""
    if point == "run.recorded":
        return [f"  - {db}: not started" for db in PLAN_DATABASES]
    database, _, where = point.partition(".")
    if database not in PLAN_DATABASES:  # after execution
        return [f"  - {db}: done" for db in PLAN_DATABASES]
    i = PLAN_DATABASES.index(database)
    return ([f"  - {db}: done" for db in PLAN_DATABASES[:i]]
            + [f"  - {database}: {STEP_WORDS[where]}"]
            + [f"  - {db}: not started" for db in PLAN_DATABASES[i + 1:]])


def resume(settings: Path, run_id: str) -> str:
    proc = cli("erase", "--resume", run_id, *_criteria_args(settings))
    assert proc.returncode == EXIT_OK, f"{proc.stdout}\n{proc.stderr}"
    assert "verified" in proc.stdout and "NOT verified" not in proc.stdout, proc.stdout
    return proc.stdout


def audit_events(settings: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["audit", "verify", "--config", str(settings)]) == EXIT_OK, \
        capsys.readouterr().out
    capsys.readouterr()
    assert main(["audit", "list", "--config", str(settings), "--format", "json"]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


# ==================================================================================
# What must hold after the resume


def expected_changes(plan: ErasurePlan) -> dict[tuple[str, str], list[tuple[str, set[Any],
                                                                             Any]]]:
    """(db, table) -> [(key column, keys, target)] of the rows the plan changes."""
    out: dict[tuple[str, str], list[tuple[str, set[Any], Any]]] = {}
    for t in plan.targets:
        out.setdefault((t.database, t.table), []).append((t.key_column, set(t.keys), t))
    return out


def data_differences(pristine: Pristine, settings: Path) -> list[str]:
    """How the copy's rows differ from the pristine ones beyond what the plan changes."""
    after = read_rows(settings)
    changes = expected_changes(pristine.plan)
    problems = []
    assert set(after) == set(pristine.rows)
    for where, before in pristine.rows.items():
        now = after[where]
        location = ".".join(where)
        for pk, row in before.items():
            change = next((t for column, keys, t in changes.get(where, [])
                           if row[column] in keys), None)
            new = now.get(pk)
            if change is None:
                if new != row:
                    problems.append(f"{location}#{pk}: changed or gone, not planned")
            elif change.action is RowAction.DELETE:
                if new is not None:
                    problems.append(f"{location}#{pk}: planned for deletion, still there")
            elif new is None:
                problems.append(f"{location}#{pk}: planned for anonymization, gone")
            else:
                kept = {c: v for c, v in row.items() if c not in change.columns}
                if {c: new[c] for c in kept} != kept:
                    problems.append(f"{location}#{pk}: a column not to anonymize changed")
                if not all(STRATEGIES[s].holds(new[c]) for c, s in change.columns.items()):
                    problems.append(f"{location}#{pk}: an anonymized column holds data")
        extra = set(now) - set(before)
        if extra:
            problems.append(f"{location}: {len(extra)} row(s) that were not there before")
    return problems


def true_counts(plan: ErasurePlan) -> dict[str, dict[str, dict[str, int]]]:
    """What the receipt must say per database and table: the planned rows, all changed."""
    words = {"delete": "deleted", "anonymize": "anonymized"}
    out: dict[str, dict[str, dict[str, int]]] = {}
    for db, tables in plan.counts().items():
        for table, counts in tables.items():
            for action, n in counts.items():
                if action in words and n:
                    out.setdefault(db, {}).setdefault(table, {})[words[action]] = n
    return out


def assert_person_gone(settings: Path) -> None:
    email, digits = needles(AINO)
    with dw.open_workbench(settings) as wb:
        assert scan_databases(wb, email, digits) == []
        assert scan_files(wb.settings.files.values(), email, digits) == []
    spellings = [*AINO.spellings, *AINO.email_spellings, AINO.email, digits]
    folder = settings.parent
    raw = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".yaml"]
    assert raw_hits(raw, spellings) == []


def assert_true_outcome(pristine: Pristine, settings: Path, run_id: str,
                        capsys: pytest.CaptureFixture[str], *, refusals: int = 0) -> None:
    """Everything the module notes promise after a resume (``refusals``: confirmations
    refused on the way)."""
    # The person's data is gone everywhere, everyone else's is as it was.
    assert_person_gone(settings)
    assert data_differences(pristine, settings) == []
    now = file_hashes(settings.parent)
    planned = {f"{f.store}/{f.relative_path}" for f in pristine.plan.files}
    assert not planned & set(now)
    assert now == {p: h for p, h in pristine.files.items() if p not in planned}

    # One run in the journal, finished, with its verified and true receipt.
    journal = open_journal(load_settings(settings))
    [run] = journal.runs()
    assert run.run_id == run_id and run.status == FINISHED and journal.unfinished() == []
    receipt = run.receipt
    assert receipt is not None and receipt["verified"], receipt and receipt["problems"]
    assert receipt["run_id"] == run_id and receipt["token"] == pristine.token
    assert receipt["rows"] == true_counts(pristine.plan)
    assert receipt["files"] == {"deleted": len(pristine.plan.files), "already_missing": 0,
                                "not_removed": []}
    assert all(not f.relative_path for f in run.plan.files)  # paths leave the journal

    # The audit log tells the story once, in order, and its chain is intact.
    events = audit_events(settings, capsys)
    planned_ids = [e["id"] for e in events if e["action"] == "erasure_planned"
                   and e["detail"].get("token") == pristine.token]
    ours = [e for e in events if e["detail"].get("run") == run_id]
    assert planned_ids
    assert [e["action"] for e in ours] == ["erasure_executed", "erasure_verified"]
    assert ours[1]["detail"]["verified"] is True
    assert min(planned_ids) < ours[0]["id"] < ours[1]["id"]
    assert not [e for e in events if e["action"] == "erasure_failed"]
    assert len([e for e in events if e["action"] == "erasure_refused"]) == refusals


# ==================================================================================
# The tests


def test_every_named_fault_point_of_the_erasure_is_covered():
    """The points below are every ``fault_point(...)`` of the erasure, and no more."""
    named = set()
    for module in (ROOT / "dpo_workbench" / "erasure").glob("*.py"):
        for name in re.findall(r'fault_point\(f?"([^"]+)"\)', module.read_text()):
            named.add(re.sub(r"^\{\w+\}\.", "<db>.", name))
    assert named == {*(f"<db>.{p}" for p in PER_DATABASE), *RUN_WIDE}
    assert set(POINTS) >= {f"{db}.{p}" for db in PLAN_DATABASES
                           for p in PER_DATABASE if p != "file"} | set(RUN_WIDE)


def test_the_checks_fail_on_an_installation_that_was_not_erased(sqlite_rollback: Pristine,
                                                                tmp_path: Path):
    """The checks below have teeth: on an untouched copy, and one changed row, they fail."""
    with installation_copy(sqlite_rollback, tmp_path / "install") as settings:
        with pytest.raises(AssertionError):
            assert_person_gone(settings)
        conn = sqlite3.connect(settings.parent / "configuration.sqlite")
        try:
            with conn:
                conn.execute("UPDATE queues SET name = name || '!' WHERE id = "
                             "(SELECT min(id) FROM queues)")
        finally:
            conn.close()
        problems = data_differences(sqlite_rollback, settings)
        first = min(sqlite_rollback.rows["configuration", "queues"])
        assert [p for p in problems if "not planned" in p] == [
            f"configuration.queues#{first}: changed or gone, not planned"]
        # and every planned row that was not erased (each deleted one at least)
        assert len(problems) - 1 >= sum(t.rows for t in sqlite_rollback.plan.targets
                                        if t.action is RowAction.DELETE)


@pytest.mark.parametrize("point", POINTS)
def test_a_run_killed_at_any_point_resumes_to_a_true_receipt(
        point: str, mixed: Pristine, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    with installation_copy(mixed, tmp_path / "install") as settings:
        kill_erasure_at(settings, mixed.token, point)
        run_id = the_run_id(settings)
        listed, said = erase_status(settings)
        if point in AFTER_RECEIPT:
            assert listed == [], said
        else:  # which databases are done, and which are not
            assert listed == [run_id], said
            steps = [line.split(";")[0].split(" (")[0] for line in said.splitlines()[1:]]
            assert steps == expected_steps(point), said

        resume(settings, run_id)
        assert_true_outcome(mixed, settings, run_id, capsys)


@pytest.mark.parametrize("database", PLAN_DATABASES)
def test_a_run_killed_in_rollback_journal_mode_leaves_no_erased_value_in_any_file(
        database: str, sqlite_rollback: Pristine, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]):
    with installation_copy(sqlite_rollback, tmp_path / "install") as settings:
        with dw.open_workbench(settings) as wb, wb.installation.connect(database) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        # Killed with the transaction's changes written: the old pages are in the journal.
        kill_erasure_at(settings, sqlite_rollback.token, f"{database}.before_commit")
        # They are there in clear beside the database: the check below can fail.
        journal = settings.parent / f"{database}.sqlite-journal"
        assert raw_hits([journal], [*AINO.spellings, *AINO.email_spellings, AINO.email])

        run_id = the_run_id(settings)
        assert erase_status(settings)[0] == [run_id]
        resume(settings, run_id)
        assert_true_outcome(sqlite_rollback, settings, run_id, capsys)
        assert not journal.exists()


@pytest.mark.parametrize("point", ("run.recorded", "operative.journaled", "executed"))
def test_confirming_the_same_token_again_while_its_run_is_unfinished_is_refused(
        point: str, sqlite_rollback: Pristine, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    with installation_copy(sqlite_rollback, tmp_path / "install") as settings:
        kill_erasure_at(settings, sqlite_rollback.token, point)
        run_id = the_run_id(settings)
        before = read_rows(settings)

        again = cli("erase", *_criteria_args(settings), "--confirm", sqlite_rollback.token)
        assert again.returncode == EXIT_REFUSED, f"{again.stdout}\n{again.stderr}"
        assert f"--resume {run_id}" in again.stderr
        assert read_rows(settings) == before
        assert [r.run_id for r in open_journal(load_settings(settings)).runs()] == [run_id]

        resume(settings, run_id)
        assert_true_outcome(sqlite_rollback, settings, run_id, capsys, refusals=1)
