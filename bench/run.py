"""Measure one installation: searches three ways, indexes, report, erasure, memory."""

from __future__ import annotations

import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

import dpo_workbench as dw
import dpo_workbench.erasure.runs as runs_module
from dpo_workbench.demo.samples import AINO, SWITCHBOARD, ZOE
from dpo_workbench.report import build_report, write_csv, write_zip
from dpo_workbench.selection import Selection

from . import builds, rss
from .clistart import clistart_timings
from .overhead import overhead_timings
from .searches import (
    LARGE_SCAN_LABELS,
    PANDAS_LABELS,
    SUBJECTS,
    Search,
    all_searches,
    api_search,
    large_searches,
    measure,
    median_ms,
    pandas_way,
    sql_only,
    timed,
)
from .sweeps import sweep_timings


@dataclass(frozen=True)
class Options:
    runs: int = 7
    naive_runs: int = 3
    report_runs: int = 3
    pandas_max: int = 1_000_000
    full_scan_max: int = 1_000_000
    keep: bool = False
    servers: builds.Servers = builds.Servers()
    sweep_runs: int = 3
    sweep_naive_max: int = 1_000_000
    cli_runs: int = 15


def say(message: str) -> None:
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------
# Facts about the installation


def row_counts(wb: Any) -> dict[str, int]:
    out = {}
    for spec in wb.datamap.tables:
        table = wb.installation.table(spec.database, spec.table)
        with wb.installation.connect(spec.database) as conn:
            out[spec.location] = conn.execute(select(func.count()).select_from(table)
                                              ).scalar_one()
    return out


def relation_bytes(wb: Any, database: str, name: str) -> int:
    """On-disk size of a table or index (SQLite: dbstat pages; PostgreSQL:
    pg_relation_size; MariaDB: InnoDB's data length of a table, its persistent
    statistics' page count of an index)."""
    with wb.installation.connect(database) as conn:
        if conn.dialect.name == "sqlite":
            return int(conn.execute(text("SELECT coalesce(sum(pgsize), 0) FROM dbstat "
                                         "WHERE name = :n"), {"n": name}).scalar_one())
        if conn.dialect.name in ("mysql", "mariadb"):
            table = conn.execute(text(
                "SELECT data_length FROM information_schema.tables WHERE table_schema = "
                "database() AND table_name = :n"), {"n": name}).scalar()
            if table is not None:
                return int(table)
            return int(conn.execute(text(
                "SELECT coalesce(sum(stat_value), 0) * @@innodb_page_size FROM "
                "mysql.innodb_index_stats WHERE database_name = database() AND "
                "index_name = :n AND stat_name = 'size'"), {"n": name}).scalar_one() or 0)
        return int(conn.execute(text("SELECT pg_relation_size(to_regclass(:n))"),
                                {"n": f'"{name}"'}).scalar_one() or 0)


def analyze(wb: Any) -> float:
    """Give the planner statistics of every searched table; return the seconds it took.

    On PostgreSQL (and MariaDB) this is the library's own ``wb.analyze()``, which
    ``create_indexes()`` already ran for the tables it indexed. The library leaves
    SQLite without statistics on purpose (see ``Workbench.analyze``); the benchmark
    analyzes it anyway, sampled, to measure what that choice costs or saves.
    """
    started = time.perf_counter()
    wb.analyze()
    for engine in wb.installation.engines.values():
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


_SQLITE_ACCESS = re.compile(r"(SEARCH|SCAN) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")
_PG_ACCESS = re.compile(r"(Parallel Seq Scan|Seq Scan|Bitmap Index Scan|Index Only Scan|"
                        r"Index Scan(?: Backward)?)(?: using (\w+))?(?: on (\w+))?")


def _mariadb_access(line: str) -> list[str]:
    """The access of one MariaDB EXPLAIN row (id | select_type | table | type |
    possible_keys | key | ...): its keys, or a scan."""
    cells = line.split(" | ")
    if len(cells) < 10 or not cells[0].strip().isdigit():
        return []
    table, access, key = cells[2], cells[3], cells[5]
    if access == "index":  # every entry of the index, in index order: a scan too
        return [f"SCAN {table} (whole index {key})"]
    if key and key != "None":
        return [f"index {k}" for k in key.replace("|", ",").split(",")]
    return [f"{'SCAN' if access == 'ALL' else access} {table}"]


def access_paths(wb: Any, fields: dict[str, Any]) -> dict[str, str]:
    """How each table is read, from the engine's EXPLAIN: index names, or the scans."""
    out = {}
    for table_id, plan in wb.engine_plans(**fields).items():
        seen: list[str] = []
        for line in plan.splitlines():
            mariadb = _mariadb_access(line)
            if mariadb:
                seen.extend(mariadb)
                continue
            m = _SQLITE_ACCESS.search(line)
            if m:
                seen.append(f"index {m.group(3)}" if m.group(3) else f"{m.group(1)} {m.group(2)}")
                continue
            m = _PG_ACCESS.search(line)
            if m:
                node, using, on = m.groups()
                if node == "Bitmap Index Scan":
                    seen.append(f"index {on}")
                elif using:
                    seen.append(f"index {using}")
                else:
                    seen.append(f"{node} {on}")
        out[table_id] = ", ".join(dict.fromkeys(seen)) or plan.replace("\n", " / ")[:120]
    return out


# --------------------------------------------------------------------------------------
# Searches


def _search_stats(times: list[float], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {"median_ms": round(median_ms(times), 3), "runs_ms": [round(t * 1000, 3) for t in times]}
    out.update(extra or {})
    return out


def indexed_searches(wb: Any, runs: int, searches: list[Search]) -> dict[str, Any]:
    """Every search through the public API, ``runs`` times after one warm-up; SQL alone too."""
    out: dict[str, Any] = {}
    for s in searches:
        times, result = measure(lambda s=s: api_search(wb, s), runs)
        inner = [result.elapsed]  # execute_plan's own clock (SQL + DataFrames)
        sql_times, n_rows = measure(lambda s=s: sql_only(wb, s), runs)
        out[f"{s.subject.key}:{s.label}"] = _search_stats(times, {
            "items": result.total, "rows": n_rows, "counts": result.counts(),
            "sql_median_ms": round(median_ms(sql_times), 3),
            "execute_plan_ms": round(inner[0] * 1000, 3)})
    return out


def naive_engines(wb: Any) -> dict[str, Any]:
    """Engines without server-side prepared statements, so every execution gets a custom plan.

    Only psycopg 3 prepares statements (after five executions); psycopg2 sends each
    statement with its values in it, so its engines are naive already.
    """
    out = {}
    for db, engine in wb.installation.engines.items():
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
            out[db] = create_engine(engine.url, connect_args={"prepare_threshold": None})
        else:
            out[db] = engine
    return out


def full_scan_searches(wb: Any, runs: int, searches: list[Search],
                       warmup: bool = True) -> dict[str, Any]:
    """The same API searches with no workbench index: every number normalised row by row.

    One warm-up run before the first search only (it loads the tables into the cache).
    """
    saved = wb.installation.engines
    wb.installation.engines = naive_engines(wb)
    try:
        out: dict[str, Any] = {}
        first = warmup
        for s in searches:
            times, result = measure(lambda s=s: api_search(wb, s), runs, warmup=int(first))
            first = False
            out[f"{s.subject.key}:{s.label}"] = _search_stats(times, {"items": result.total})
            say(f"full scan {s.label}: {out[f'{s.subject.key}:{s.label}']['median_ms']:.0f} ms")
    finally:
        for db, engine in wb.installation.engines.items():
            if engine is not saved[db]:
                engine.dispose()
        wb.installation.engines = saved
    return out


def pandas_searches(wb: Any, runs: int, searches: list[Search]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in searches:
        times, rows = measure(lambda s=s: pandas_way(wb, s), runs, warmup=0)
        out[f"{s.subject.key}:{s.label}"] = _search_stats(times, {"rows": rows})
        say(f"pandas {s.label}: {out[f'{s.subject.key}:{s.label}']['median_ms']:.0f} ms")
    return out


# --------------------------------------------------------------------------------------
# Report and erasure


def report_timings(wb: Any, runs: int) -> dict[str, Any]:
    """Build + CSV + zip of 1,000 selected items (the switchboard's contacts)."""
    result = wb.search(phone=SWITCHBOARD.phone)
    refs = result.refs("contacts")[:1000]
    selection = Selection.of({"contacts": refs})
    out: dict[str, Any] = {"items": len(refs)}
    with tempfile.TemporaryDirectory() as tmp:
        def build() -> Any:
            return build_report(wb.installation, selection, criteria=result.criteria)

        build_times, report = measure(build, runs)
        csv_times, _ = measure(lambda: write_csv(report, Path(tmp) / "r.csv"), runs)
        zip_times, manifest = measure(lambda: write_zip(report, Path(tmp) / "r.zip"), runs)
        out.update({
            "build_ms": round(median_ms(build_times), 1),
            "csv_ms": round(median_ms(csv_times), 1),
            "zip_ms": round(median_ms(zip_times), 1),
            "csv_bytes": (Path(tmp) / "r.csv").stat().st_size,
            "zip_bytes": (Path(tmp) / "r.zip").stat().st_size,
            "zip_files": len(manifest["files"]),
        })
    out["total_ms"] = round(out["build_ms"] + out["csv_ms"] + out["zip_ms"], 1)
    return out


def erasure_timings(wb: Any) -> dict[str, Any]:
    """Plan, execute and verify the erasure of one subject (AINO, by phone and e-mail).

    The receipt's deep sweep (part of ``wb.erase`` since the sweep exists) is timed
    apart: ``verify_ms`` stays the verification of the erased rows it always was.
    """
    criteria = wb.criteria(phone=AINO.phone, email=AINO.email)
    search_s, result = timed(lambda: wb.search(criteria))
    selection = Selection.all(result)
    plan_s, plan = timed(lambda: wb.plan_erasure(selection, criteria=criteria))
    verify_s: list[float] = []
    original = runs_module.verify_run

    def timed_verify(*args: Any, **kwargs: Any) -> Any:
        took, value = timed(lambda: original(*args, **kwargs))
        verify_s.append(took)
        return value

    runs_module.verify_run = timed_verify  # measures only; the behaviour is unchanged
    try:
        erase_s, receipt = timed(lambda: wb.erase(plan, plan.token, criteria=criteria))
    finally:
        runs_module.verify_run = original
    swept = receipt.get("sweep") or {}
    sweep_s = swept.get("seconds", 0.0)
    return {"items": len(plan.items), "rows": plan.total_rows, "files": len(plan.files),
            "verified": receipt["verified"], "problems": receipt["problems"],
            "search_ms": round(search_s * 1000, 1), "plan_ms": round(plan_s * 1000, 1),
            "execute_ms": round((erase_s - sum(verify_s) - sweep_s) * 1000, 1),
            "verify_ms": round(sum(verify_s) * 1000, 1),
            "total_ms": round((plan_s + erase_s - sweep_s) * 1000, 1),
            "sweep_ms": round(sweep_s * 1000, 1),
            "mentions_elsewhere": swept.get("mentions_elsewhere"),
            "mentions_in_erased_rows": len(swept.get("in_erased_rows", []))}


# --------------------------------------------------------------------------------------


def bench_installation(inst: builds.Installation, opts: Options) -> dict[str, Any]:
    """Every measurement of one installation; the installation is left with its indexes."""
    out: dict[str, Any] = {"engine": inst.engine, "events": inst.events, "seed": inst.seed,
                           "build_seconds": inst.build_seconds, "build_reused": inst.reused,
                           "build_note": inst.info.get("note")}
    wb = dw.open_workbench(inst.settings, user="bench")
    try:
        out["rows"] = row_counts(wb)
        out["table_bytes"] = {s.location: relation_bytes(wb, s.database, s.table)
                              for s in wb.datamap.tables}
        dropped = wb.drop_indexes()
        if dropped:
            say(f"dropped {dropped} workbench indexes of the earlier run")
        searches = all_searches()
        naive = [s for s in searches if s.subject is AINO]

        say("full scan (no workbench indexes) ...")
        out["full_scan_plans"] = access_paths(wb, Search("phone7", True, AINO).fields)
        small = inst.events <= opts.full_scan_max
        out["full_scan"] = full_scan_searches(
            wb, opts.naive_runs,
            naive if small else [s for s in naive if s.label in LARGE_SCAN_LABELS],
            warmup=small)

        if inst.events <= opts.pandas_max:
            say("pandas (read_sql + filter) ...")
            out["pandas"] = pandas_searches(
                wb, opts.naive_runs, [s for s in naive if s.label in PANDAS_LABELS])
        else:
            out["pandas"] = None

        say("creating the workbench's indexes ...")
        built = wb.create_indexes()
        out["indexes"] = [{"database": i.database, "table": i.table, "name": i.name,
                           "kind": i.kind, "seconds": round(s, 2),
                           "bytes": relation_bytes(wb, i.database, i.name)} for i, s in built]
        out["index_seconds"] = round(sum(s for _, s in built), 1)

        say("indexed searches ...")
        out["plans"] = {label: access_paths(wb, s.fields) for label, s in PLAN_SEARCHES}
        out["indexed"] = indexed_searches(wb, opts.runs, searches)
        out["large"] = indexed_searches(wb, opts.runs, large_searches())

        say("API against SQL alone ...")
        out["overhead"] = overhead_timings(wb, opts.runs, searches + large_searches())

        say("memory ...")
        out["memory"] = {
            "api switchboard phone7": rss.measure(inst.settings, "api", "switchboard", "phone7"),
            "api aino phone3": rss.measure(inst.settings, "api", "aino", "phone3"),
            "api aino combined": rss.measure(inst.settings, "api", "aino", "combined"),
        }
        if out["pandas"] is not None:
            out["memory"]["pandas aino phone7"] = rss.measure(inst.settings, "pandas", "aino",
                                                              "phone7")

        say("report of 1,000 items ...")
        out["report"] = report_timings(wb, opts.report_runs)

        say("ANALYZE, then the indexed searches again ...")
        out["analyze_seconds"] = round(analyze(wb), 2)
        out["plans_after_analyze"] = {label: access_paths(wb, s.fields)
                                      for label, s in PLAN_SEARCHES[1:]}
        out["indexed_after_analyze"] = indexed_searches(wb, opts.runs, searches)
        out["large_after_analyze"] = indexed_searches(wb, opts.runs, large_searches())

        say("deep sweep ...")
        out["sweep"] = sweep_timings(wb, opts.sweep_runs, inst.events <= opts.sweep_naive_max)
    finally:
        wb.close()
    say("command-line start ...")
    out["clistart"] = clistart_timings(inst.settings, opts.cli_runs)
    out["erasure"] = erasure_on_copy(inst, opts)
    return out


def erasure_on_copy(inst: builds.Installation, opts: Options) -> dict[str, Any]:
    """The erasure of one subject, with its deep sweep; on a copy unless thrown away after."""
    say("erasure of one subject ...")
    # In place only when the installation is thrown away after this run.
    in_place = not opts.keep and not inst.reused
    target = inst if in_place else builds.copy(inst, opts.servers, "erase")
    try:
        with dw.open_workbench(target.settings, user="bench") as ewb:
            out = erasure_timings(ewb)
            out["on"] = "a copy" if target is not inst else "the installation itself"
    finally:
        if target is not inst:
            builds.remove(target, opts.servers)
    return out


def sweep_only(inst: builds.Installation, opts: Options) -> dict[str, Any]:
    """``--only sweep``: the deep sweep three ways, and an erasure with its sweep."""
    with dw.open_workbench(inst.settings, user="bench") as wb:
        built = wb.create_indexes()  # the missing ones: the erasure searches
        if built:
            say(f"created {len(built)} missing workbench indexes for the erasure")
        say("deep sweep ...")
        sweep = sweep_timings(wb, opts.sweep_runs, inst.events <= opts.sweep_naive_max)
        rows = row_counts(wb)
    return {"sweep": sweep, "erasure": erasure_on_copy(inst, opts), "rows": rows}


def _with_indexes(inst: builds.Installation) -> Any:
    """The installation opened, with the workbench's indexes (created where missing)."""
    wb = dw.open_workbench(inst.settings, user="bench")
    built = wb.create_indexes()
    if built:
        say(f"created {len(built)} missing workbench indexes")
    return wb


def overhead_only(inst: builds.Installation, opts: Options) -> dict[str, Any]:
    """``--only overhead``: the API search against its SQL alone, every search."""
    with _with_indexes(inst) as wb:
        say("API against SQL alone ...")
        return {"overhead": overhead_timings(wb, opts.runs, all_searches() + large_searches())}


def clistart_only(inst: builds.Installation, opts: Options) -> dict[str, Any]:
    """``--only clistart``: the command line's start against ``import sqlalchemy, yaml``."""
    _with_indexes(inst).close()  # a search without them would scan the tables
    say("command-line start ...")
    return {"clistart": clistart_timings(inst.settings, opts.cli_runs)}


SUBJECT_KEYS = tuple(s.key for s in SUBJECTS)
#: Searches whose EXPLAIN is recorded (ZOE's e-mail has non-ASCII letters: several
#: case spellings in one IN list).
PLAN_SEARCHES: tuple[tuple[str, Search], ...] = (
    ("aino phone7", Search("phone7", False, AINO)),
    ("aino phone7+span", Search("phone7", True, AINO)),
    ("aino combined+span", Search("combined", True, AINO)),
    ("aino email+span", Search("email", True, AINO)),
    ("zoe email+span", Search("email", True, ZOE)),
)
