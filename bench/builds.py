"""Demo installations for the benchmark: build, reuse, copy, remove.

An installation lives in ``bench/work/<engine>-<size>-s<seed>/``. Its server
databases (engines ``postgresql`` and ``mariadb``) are named
``dpo_bench_<size>_s<seed>_<database>`` on the server of ``--pg-admin-url`` or
``--mariadb-admin-url``. A file ``bench-build.json`` is written last, when the
build is complete: an installation without it is built again.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dpo_workbench.demo.build import build_demo
from dpo_workbench.demo.loaders import copy_mariadb_database
from dpo_workbench.demo.schema import DATABASES

STAMP = "bench-build.json"
DEFAULT_PG_ADMIN_URL = os.environ.get(
    "DPO_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEFAULT_MARIADB_ADMIN_URL = os.environ.get(
    "DPO_BENCH_MARIADB_ADMIN_URL", "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4")
#: Engines whose databases live on a server (the others are SQLite files).
SERVERS = ("postgresql", "mariadb")


@dataclass(frozen=True)
class Servers:
    """The administrative URLs: allowed to create and drop the benchmark's databases."""

    postgresql: str = DEFAULT_PG_ADMIN_URL
    mariadb: str = DEFAULT_MARIADB_ADMIN_URL

    def admin_url(self, engine: str) -> str:
        return self.postgresql if engine == "postgresql" else self.mariadb


def parse_size(label: str) -> int:
    """``100k`` -> 100000, ``1m`` -> 1000000, ``2.5m`` -> 2500000, ``5000`` -> 5000."""
    s = label.strip().lower().replace("_", "")
    mult = 1
    if s.endswith("k"):
        mult, s = 1_000, s[:-1]
    elif s.endswith("m"):
        mult, s = 1_000_000, s[:-1]
    value = float(s) * mult
    if value < 1 or value != int(value):
        raise ValueError(f"bad size {label!r}: use e.g. 100k, 1m, 10m")
    return int(value)


def size_label(events: int) -> str:
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}m"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


@dataclass
class Installation:
    """One built demo installation."""

    engine: str  # sqlite, postgresql or mariadb
    events: int
    seed: int
    folder: Path
    build_seconds: float | None = None
    reused: bool = False
    server_databases: dict[str, str] = field(default_factory=dict)  # logical -> server db
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Path:
        return self.folder / "workbench.yaml"

    @property
    def label(self) -> str:
        return size_label(self.events)


def _server_names(events: int, seed: int, suffix: str = "") -> dict[str, str]:
    return {db: f"dpo_bench_{size_label(events)}_s{seed}{suffix}_{db}" for db in DATABASES}


def _admin_engine(admin_url: str):  # type: ignore[no-untyped-def]
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _db_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _is_mariadb(admin_url: str) -> bool:
    return make_url(admin_url).get_backend_name() in ("mysql", "mariadb")


def server_existing(admin_url: str, names: list[str]) -> set[str]:
    """Which of the databases ``names`` exist on the server of ``admin_url``."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            if _is_mariadb(admin_url):
                rows = conn.execute(text("SELECT schema_name FROM information_schema.schemata"))
                return {r for r in rows.scalars() if r in names}
            rows = conn.execute(text("SELECT datname FROM pg_database WHERE datname = ANY(:n)"),
                                {"n": names}).scalars()
            return set(rows)
    finally:
        engine.dispose()


def _create(admin_url: str, names: list[str], template: dict[str, str] | None = None) -> None:
    """Create empty databases (or, on PostgreSQL, copies of ``template[name]``)."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            for name in names:
                if _is_mariadb(admin_url):
                    conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                    conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                                      "COLLATE utf8mb4_unicode_ci"))
                    continue
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                src = f'TEMPLATE "{template[name]}"' if template else "TEMPLATE template0"
                conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' {src}"))
    finally:
        engine.dispose()


def _mariadb_copy(admin_url: str, source: str, dest: str) -> None:
    """Copy a MariaDB database table by table: its own DDL, then its stored columns."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            copy_mariadb_database(conn, source, dest)
    finally:
        engine.dispose()


def server_drop(admin_url: str, names: list[str]) -> None:
    """Drop the databases ``names`` (those that exist) on the server of ``admin_url``."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            for name in names:
                if _is_mariadb(admin_url):
                    conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                else:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def bench_databases(admin_url: str) -> list[str]:
    """The benchmark's databases (``dpo_bench_*``) on the server of ``admin_url``."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            if _is_mariadb(admin_url):
                rows = conn.execute(text("SELECT schema_name FROM information_schema.schemata"))
            else:
                rows = conn.execute(text("SELECT datname FROM pg_database"))
            return sorted(r for r in rows.scalars() if r.startswith("dpo_bench_"))
    finally:
        engine.dispose()


class Progress:
    """Prints the builder's progress on one line of stderr (a new line per stage)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.stage = ""
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != self.stage:
            if self.stage:
                sys.stderr.write("\n")
            self.stage = stage
        elif now - self.last < 0.5 and done != total:
            return
        self.last = now
        pct = f"{100 * done // total:3d}%" if total else "    "
        sys.stderr.write(f"\r  {self.prefix} {stage:<40} {pct}  {done:>11,}/{total:<11,} "
                         f"{now - self.started:7.1f} s")
        sys.stderr.flush()

    def end(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def obtain(engine: str, events: int, seed: int, work: Path, servers: Servers,
           max_files: int) -> Installation:
    """A complete installation of this engine/size/seed: reused if built before, else built.

    The build does not create the workbench's search indexes (the benchmark times
    that step itself).
    """
    folder = work / f"{engine}-{size_label(events)}-s{seed}"
    inst = Installation(engine, events, seed, folder)
    admin_url = servers.admin_url(engine)
    if engine in SERVERS:
        inst.server_databases = _server_names(events, seed)
    stamp = folder / STAMP
    if stamp.exists():
        data = json.loads(stamp.read_text())
        complete = data.get("events") == events and data.get("seed") == seed
        if complete and engine in SERVERS:
            names = list(inst.server_databases.values())
            complete = server_existing(admin_url, names) == set(names)
        if complete:
            inst.build_seconds = data.get("build_seconds")
            inst.info = data
            inst.reused = True
            return inst
    stamp.unlink(missing_ok=True)
    urls: dict[str, str] = {}
    if engine in SERVERS:
        _create(admin_url, list(inst.server_databases.values()))
        urls = {db: _db_url(admin_url, name) for db, name in inst.server_databases.items()}
    progress = Progress(f"[{engine} {size_label(events)}]")
    started = time.perf_counter()
    build_demo(folder, events=events, seed=seed, urls=urls, max_files=max_files,
               progress=progress, replace=True)
    progress.end()
    inst.build_seconds = time.perf_counter() - started
    inst.info = {"engine": engine, "events": events, "seed": seed, "max_files": max_files,
                 "build_seconds": round(inst.build_seconds, 1),
                 "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                 "server_databases": inst.server_databases}
    stamp.write_text(json.dumps(inst.info, indent=2) + "\n")
    return inst


def remove(inst: Installation, servers: Servers) -> None:
    """Delete an installation's folder and its server databases."""
    if inst.server_databases:
        server_drop(servers.admin_url(inst.engine), list(inst.server_databases.values()))
    shutil.rmtree(inst.folder, ignore_errors=True)


def copy(inst: Installation, servers: Servers, suffix: str = "copy") -> Installation:
    """A full copy (databases, files, settings) for a run that changes data (erasure).

    SQLite files are copied with the online backup API; PostgreSQL databases with
    ``CREATE DATABASE ... TEMPLATE``; MariaDB databases table by table.
    """
    dest = inst.folder.with_name(f"{inst.folder.name}-{suffix}")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copytree(inst.folder / "files", dest / "files")
    shutil.copy(inst.folder / "datamap.yaml", dest / "datamap.yaml")
    (dest / "state").mkdir()
    settings = (inst.folder / "workbench.yaml").read_text()
    out = Installation(inst.engine, inst.events, inst.seed, dest, inst.build_seconds)
    if inst.server_databases:
        admin_url = servers.admin_url(inst.engine)
        names = _server_names(inst.events, inst.seed, f"_{suffix}")
        sources = {names[db]: inst.server_databases[db] for db in DATABASES}
        if inst.engine == "mariadb":
            _create(admin_url, list(names.values()))
            for name, source in sources.items():
                _mariadb_copy(admin_url, source, name)
        else:
            _create(admin_url, list(names.values()), template=sources)
        for db in DATABASES:
            settings = settings.replace(inst.server_databases[db], names[db])
        out.server_databases = names
    for db in DATABASES:
        src_path = inst.folder / f"{db}.sqlite"
        if src_path.exists():
            src = sqlite3.connect(src_path)
            dst = sqlite3.connect(dest / f"{db}.sqlite")
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
    (dest / "workbench.yaml").write_text(settings)
    return out
