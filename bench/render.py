"""bench/RESULTS.md from the raw results (bench/RESULTS.json)."""

from __future__ import annotations

import statistics
from typing import Any

from .builds import size_label
from .searches import KINDS

LABELS = [f"{k}{s}" for k in KINDS for s in ("", "+span")]


def _ms(v: float | None) -> str:
    if v is None or v != v:
        return "–"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "–"
    return f"{a / b:,.0f}×" if a / b >= 10 else f"{a / b:.1f}×"


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f}"


def pooled(block: dict[str, Any] | None, label: str, subject: str | None = None) -> float | None:
    """Median over every run of every subject of one search label (or of one subject)."""
    if not block:
        return None
    runs = [t for key, v in block.items() for t in v["runs_ms"]
            if key.split(":", 1)[1] == label and (subject is None or key.split(":")[0] == subject)]
    return statistics.median(runs) if runs else None


def worst(block: dict[str, Any] | None, label: str) -> float | None:
    """The slowest subject's median of one search label (every subject must be fast)."""
    if not block:
        return None
    subjects = {key.split(":")[0] for key in block if key.split(":", 1)[1] == label}
    medians = [pooled(block, label, s) for s in subjects]
    return max((m for m in medians if m is not None), default=None)


def _get(block: dict[str, Any] | None, key: str, field: str) -> Any:
    if not block or key not in block:
        return None
    return block[key].get(field)


def _name(r: dict[str, Any]) -> str:
    return f"{r['engine']} {size_label(r['events'])}"


#: The order of the engines in every table.
ENGINES = ("sqlite", "postgresql", "mariadb")


def _sorted(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(results, key=lambda r: (ENGINES.index(r["engine"]), r["events"]))


def _measured_on(parts: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One line per processor the kept results were measured on, with what ran there."""
    where: dict[str, dict[str, None]] = {}
    for part, runs in parts.items():
        for r in runs:
            cpu = r.get("machine", {}).get("cpu")
            if cpu and "engine" in r and "events" in r:
                label = f"{r['engine']} {size_label(r['events'])}"
                where.setdefault(cpu, {})[label + (f" ({part})" if part else "")] = None
    if len(where) < 2:
        return []
    return [f"- Measured on {cpu}: {', '.join(what)}" for cpu, what in where.items()]


def machine_section(results: list[dict[str, Any]],
                    parts: dict[str, list[dict[str, Any]]] | None = None) -> list[str]:
    m = results[-1]["machine"]
    pg = next((r["machine"]["postgresql"] for r in reversed(results)
               if r["machine"].get("postgresql")), None)
    measured_on = _measured_on({"": results, **(parts or {})})
    cpu = "" if measured_on else f"CPU: {m['cpu']}, "
    lines = ["## Machine", "",
             f"- {cpu}{m['cores']} cores; RAM {m['ram_gib']} GiB",
             f"- OS: {m['os']}",
             f"- Python {m['python']}, SQLite {m['sqlite']}, pandas {m['pandas']}, "
             f"SQLAlchemy {m['sqlalchemy']}, psycopg {m['psycopg']}"]
    if pg:
        settings = ", ".join(f"{k}={v}" for k, v in pg.items() if k != "version")
        lines.append(f"- PostgreSQL {pg['version']} ({settings})")
    maria = next((r["machine"]["mariadb"] for r in reversed(results)
                  if r["machine"].get("mariadb")), None)
    if maria:
        settings = ", ".join(f"{k}={v}" for k, v in maria.items() if k != "version")
        driver = next((r["machine"]["pymysql"] for r in reversed(results)
                       if r["machine"].get("pymysql")), "")
        lines.append(f"- MariaDB {maria['version']} ({settings}), PyMySQL {driver}")
    lines += measured_on
    lines.append("- The machine is shared (other test suites ran at the same time): compare "
                 "the ratios and the medians within one table, not single absolute times.")
    return lines + [""]


#: ``--only`` part -> what the commands section calls it.
PART_NAMES = {"sweep": "deep sweep", "overhead": "API against SQL", "clistart":
              "command-line start"}


def commands_section(results: list[dict[str, Any]],
                     sweeps: list[dict[str, Any]] | None = None,
                     parts: dict[str, list[dict[str, Any]]] | None = None) -> list[str]:
    lines = ["## Commands", ""]
    by_cmd: dict[str, list[str]] = {}
    for r in _sorted(results):
        by_cmd.setdefault(f"{r['command']}` (started {r['started']})", []).append(_name(r))
    measured = {"sweep": sweeps or [], **(parts or {})}
    for part, entries in measured.items():
        for r in _sorted(entries):
            if f"--only {part}" in r["command"]:
                by_cmd.setdefault(f"{r['command']}` (started {r['started']})", []).append(
                    f"{_name(r)} ({PART_NAMES[part]})")
    for cmd, names in by_cmd.items():
        lines.append(f"- `{cmd}: {', '.join(names)}")
    return lines + [""]


def targets_section(results: list[dict[str, Any]]) -> list[str]:
    lines = ["## Targets", "",
             "Medians of the public API `wb.search(...)` over all groups (end to end: plan, SQL, "
             "DataFrames, audit-log append), with the indexes `dpo-workbench indexes` creates; "
             "of the slowest subject (AINO, SOREN, ZOE). The speed-ups compare AINO with "
             "AINO.",
             "",
             "*after ANALYZE*: the same after the benchmark has analyzed every searched table "
             "(`create_indexes()` already analyzes the tables it indexes on PostgreSQL and "
             "MariaDB; on SQLite the workbench keeps its indexes without statistics on "
             "purpose, see `Workbench.analyze`). Large results: the switchboard (N = 7) and "
             "AINO with N = 3.", "",
             "| installation | phone (N=7) | e-mail | phone / e-mail after ANALYZE | "
             "full scan phone / e-mail | speed-up phone / e-mail | large results (items: ms) | "
             "large results after ANALYZE (ms) | peak RSS growth of a search, MiB (items) |",
             "|---|---:|---:|---:|---:|---:|---|---|---:|"]
    for r in _sorted(results):
        ph, em = worst(r["indexed"], "phone7"), worst(r["indexed"], "email")
        fph = pooled(r["full_scan"], "phone7")
        fem = pooled(r["full_scan"], "email")
        aph, aem = pooled(r["indexed"], "phone7", "aino"), pooled(r["indexed"], "email", "aino")
        large = "; ".join(f"{v['items']:,}: {_ms(v['median_ms'])}" for v in r["large"].values())
        large_after = "; ".join(_ms(v["median_ms"])
                                for v in (r.get("large_after_analyze") or {}).values()) or "–"
        after = r.get("indexed_after_analyze")
        aph_after, aem_after = worst(after, "phone7"), worst(after, "email")
        mem = "; ".join(f"{m['rss_growth_mib']:.1f} ({m['items']:,})"
                        for k, m in r["memory"].items() if k.startswith("api") and "items" in m)
        lines.append(f"| {_name(r)} | {_ms(ph)} | {_ms(em)} | {_ms(aph_after)} / "
                     f"{_ms(aem_after)} | {_ms(fph)} / {_ms(fem)} | "
                     f"{_ratio(fph, aph)} / {_ratio(fem, aem)} | {large} | {large_after} | "
                     f"{mem} |")
    return lines + [""]


def checks_section(results: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, checked on the largest installation of each engine."""
    lines = ["## Target check (largest installation of each engine)", ""]
    for engine in ENGINES:
        rs = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["events"])
        if not rs:
            continue
        r = rs[-1]
        for when, block in (("as the library is", r["indexed"]),
                            ("after ANALYZE", r.get("indexed_after_analyze"))):
            if not block:
                continue
            worst_ms = max((worst(block, lab) or 0) for lab in LABELS
                           if lab.startswith(("phone7", "phone10", "email")))
            lines.append(f"- {_name(r)}, {when}: slowest phone (N = 7, 10) or e-mail search, "
                         f"with or without span, of any subject: {_ms(worst_ms)} ms "
                         f"({'under' if worst_ms < 100 else 'NOT under'} 100 ms).")
        ratios = [(lab, _get(r["full_scan"], f"aino:{lab}", "median_ms"),
                   pooled(r["indexed"], lab, "aino")) for lab in ("phone7", "email")]
        lines.append(f"- {_name(r)}: speed-up over the full scan, AINO: " + ", ".join(
            f"{lab} {_ratio(f, i)}" for lab, f, i in ratios if f and i) + ".")
        big = max(r["large"].values(), key=lambda v: v["items"])
        lines.append(f"- {_name(r)}: largest result {big['items']:,} items in "
                     f"{_ms(big['median_ms'])} ms "
                     f"({'under' if big['median_ms'] < 1000 else 'NOT under'} a second).")
    return lines + [""]


def growth_section(results: list[dict[str, Any]]) -> list[str]:
    rs = _sorted(results)
    lines = ["## Search latency by size", "",
             "Median ms of the indexed API search (the installation as `dpo-workbench indexes "
             "--apply` leaves it) of the slowest of the subjects AINO, SOREN and ZOE. "
             "`+span` adds a date span (2025-01-01 to 2025-12-31).", "",
             "| search | " + " | ".join(_name(r) for r in rs) + " |",
             "|---|" + "---:|" * len(rs)]
    for label in LABELS:
        lines.append(f"| {label} | " + " | ".join(_ms(worst(r["indexed"], label)) for r in rs)
                     + " |")
    lines.append("")
    pairs = []
    for engine in ENGINES:
        by_size = {r["events"]: r for r in rs if r["engine"] == engine}
        sizes = sorted(by_size)
        for small, big in zip(sizes, sizes[1:], strict=False):
            pairs.append((engine, by_size[small], by_size[big]))
    if pairs:
        lines += ["Growth: median of the larger installation / median of the smaller one "
                  "(the data grows by the factor in the header).", "",
                  "| search | " + " | ".join(
                      f"{e} {size_label(a['events'])}→{size_label(b['events'])} "
                      f"(data ×{b['events'] / a['events']:.0f})" for e, a, b in pairs) + " |",
                  "|---|" + "---:|" * len(pairs)]
        for label in LABELS:
            cells = []
            for _, a, b in pairs:
                x, y = worst(a["indexed"], label), worst(b["indexed"], label)
                cells.append(f"×{y / x:.2f}" if x and y else "–")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def detail_section(r: dict[str, Any]) -> list[str]:
    rows = r["rows"]
    lines = [f"### {_name(r)}", "",
             f"Rows: {', '.join(f'{k} {v:,}' for k, v in rows.items())}. "
             f"Build: {r['build_seconds']:,.0f} s"
             f"{' (reused from an earlier run)' if r.get('build_reused') else ''}"
             f"{' (' + r['build_note'] + ')' if r.get('build_note') else ''}; "
             f"workbench indexes: {r['index_seconds']:,.1f} s, "
             f"{_mib(sum(i['bytes'] for i in r['indexes']))} MiB.", "",
             "Medians in ms. *indexed* and *after ANALYZE* are the slowest subject's median "
             "(AINO, SOREN, ZOE); the full-scan and pandas ways search AINO, and their "
             "speed-ups divide by AINO's indexed median of the same run. *SQL* is the plan's "
             "statements alone (no DataFrames, no audit log), slowest subject. "
             "*after ANALYZE* is the indexed search once the planner has statistics of the "
             "new indexes.", "",
             "| search | items (AINO) | indexed | SQL | after ANALYZE | full scan | speed-up | "
             "pandas | speed-up |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label in LABELS:
        key = f"aino:{label}"
        idx = worst(r["indexed"], label)
        sql = max(v["sql_median_ms"] for k, v in r["indexed"].items()
                  if k.split(":", 1)[1] == label)
        aino = pooled(r["indexed"], label, "aino")
        full = _get(r["full_scan"], key, "median_ms")
        pandas = _get(r["pandas"], key, "median_ms")
        after = worst(r.get("indexed_after_analyze"), label)
        if r["pandas"] is None:
            pandas_cell = "skipped (size)"
        else:
            pandas_cell = _ms(pandas) if pandas is not None else "–"
        full_cell = _ms(full) if full is not None else "not run (size)"
        lines.append(f"| {label} | {_get(r['indexed'], key, 'items')} | {_ms(idx)} | "
                     f"{_ms(sql)} | {_ms(after)} | {full_cell} | {_ratio(full, aino)} | "
                     f"{pandas_cell} | {_ratio(pandas, aino)} |")
    lines += ["", "Large results (indexed API search):", ""]
    for key, v in r["large"].items():
        lines.append(f"- {key}: {v['items']:,} items, median {_ms(v['median_ms'])} ms "
                     f"(SQL {_ms(v['sql_median_ms'])} ms)")
    rep = r["report"]
    lines += ["", f"Report of {rep['items']:,} items: build {_ms(rep['build_ms'])} ms + CSV "
              f"{_ms(rep['csv_ms'])} ms + zip {_ms(rep['zip_ms'])} ms = "
              f"**{_ms(rep['total_ms'])} ms** (CSV {_mib(rep['csv_bytes'])} MiB, zip "
              f"{_mib(rep['zip_bytes'])} MiB with {rep['zip_files']} members)."]
    er = r.get("erasure")
    if er:
        lines.append(f"Erasure of one subject ({er['items']} items, {er['rows']} rows, "
                     f"{er['files']} files, on {er['on']}): plan {_ms(er['plan_ms'])} ms + "
                     f"execute {_ms(er['execute_ms'])} ms + verify {_ms(er['verify_ms'])} ms = "
                     f"**{_ms(er['total_ms'])} ms**; verified: {er['verified']}.")
    lines += ["", "Memory (fresh process; growth of peak RSS during one search, and the peak "
              "of Python allocations):", ""]
    for k, m in r["memory"].items():
        if "error" in m:
            lines.append(f"- {k}: failed ({m['error']})")
        else:
            lines.append(f"- {k}: {m['items']:,} items; RSS {m['rss_before_mib']:.0f} → "
                         f"{m['rss_after_mib']:.0f} MiB (+{m['rss_growth_mib']:.1f}); "
                         f"traced peak {m['traced_peak_mib']:.1f} MiB")
    lines += ["", "Indexes (build s / MiB): " + "; ".join(
        f"{i['database']}.{i['name']} {i['seconds']:.1f} s / {_mib(i['bytes'])}"
        for i in r["indexes"]) + "."]
    lines += ["", "Access paths (EXPLAIN), AINO:", ""]
    lines.append(f"- no workbench index, phone7+span: {_paths(r['full_scan_plans'])}")
    for label, paths in r["plans"].items():
        lines.append(f"- {label}: {_paths(paths)}")
    for label, paths in r.get("plans_after_analyze", {}).items():
        lines.append(f"- {label}, after ANALYZE: {_paths(paths)}")
    return lines + [""]


def _paths(paths: dict[str, str]) -> str:
    return "; ".join(f"{t}: {p}" for t, p in paths.items())


def builds_section(results: list[dict[str, Any]]) -> list[str]:
    lines = ["## Build times", "", "`build_demo` without the search indexes, then "
             "`wb.create_indexes()` (all 15 indexes), on the whole installation.", "",
             "| installation | contact events | demo build (s) | workbench indexes (s) | "
             "index size (MiB) | searched tables (MiB) | note |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in _sorted(results):
        lines.append(f"| {_name(r)} | {r['events']:,} | {r['build_seconds']:,.0f} | "
                     f"{r['index_seconds']:,.1f} | "
                     f"{_mib(sum(i['bytes'] for i in r['indexes']))} | "
                     f"{_mib(sum(r['table_bytes'].values()))} | {r.get('build_note') or ''} |")
    return lines + [""]


def _s(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:,.1f}"


def sweep_section(sweeps: list[dict[str, Any]]) -> list[str]:
    """The deep sweep three ways (bench/sweeps.py), and an erasure with it."""
    if not sweeps:
        return []
    lines = ["## Deep sweep", "",
             "`wb.deep_sweep(...)`: every text column of every table of the five databases "
             "and every text-like file of the three file stores, for one subject's phone "
             "number (last 7 digits), e-mail address and first and last name (bench/sweeps.py)."
             " *library*: as many threads as databases, each taking the largest part not yet "
             "swept (a table, or 500,000 rowids of a SQLite table; PostgreSQL scans a large "
             "table with its own parallel workers), so the databases are swept concurrently; "
             "the SQL prefilter, then the exact rules in Python. *one thread*: the same, one "
             "part after the other. *Python alone*: every text value read into Python and "
             "checked with the same rules, one table after the other (one run, up to "
             "`--sweep-naive-max`). Seconds; medians of `--sweep-runs` runs (the library "
             "after one warm-up). *same*: the three ways found the same mentions.", "",
             "| installation | subject | library (s) | one thread (s) | speed-up | Python alone "
             "(s) | speed-up | candidate rows | mentions | tables / text columns / text files "
             "| same |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in _sorted(sweeps):
        for subject, e in r["sweep"].items():
            if not isinstance(e, dict):
                continue  # the load averages
            same = e["same_as_one_thread"] and e.get("same_as_python", True)
            lines.append(
                f"| {_name(r)} | {subject.upper()} | {_s(e['median_ms'])} | "
                f"{_s(e['one_thread_median_ms'])} | "
                f"{_ratio(e['one_thread_median_ms'], e['median_ms'])} | "
                f"{_s(e.get('python_ms')) if 'python_ms' in e else 'not run (size)'} | "
                f"{_ratio(e.get('python_ms'), e['median_ms'])} | {e['candidate_rows']:,} | "
                f"{e['mentions']:,} | {e['tables']} / {e['columns']} / {e['files']:,} | "
                f"{'yes' if same else 'NO'} |")
    m = sweeps[-1]["machine"]
    loads = [f"{_name(r)} {r['sweep']['load_average_before']} → "
             f"{r['sweep']['load_average_after']}" for r in _sorted(sweeps)
             if "load_average_before" in r["sweep"]]
    lines += ["", f"Machine of these runs: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB; "
              f"Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}"
              + (f", PostgreSQL {m['postgresql']['version']}" if m.get("postgresql") else "")
              + ". The machine was shared with other work"
              + (f" (1-minute load average before → after: {'; '.join(loads)})" if loads
                 else "") + ": wall-clock times, and the concurrency's gain with them, depend "
              "on it."]
    lines += ["", "Erasure of AINO (by phone and e-mail) with its deep sweep (`wb.erase`, "
              "on a copy): the erasure as measured before, then the sweep the receipt now "
              "holds.", ""]
    for r in _sorted(sweeps):
        er = r.get("erasure")
        if er:
            lines.append(f"- {_name(r)}: plan {_ms(er['plan_ms'])} ms + execute "
                         f"{_ms(er['execute_ms'])} ms + verify {_ms(er['verify_ms'])} ms = "
                         f"{_ms(er['total_ms'])} ms, then the deep sweep "
                         f"**{_s(er.get('sweep_ms'))} s**; verified: {er['verified']}; "
                         f"mentions in erased rows: {er.get('mentions_in_erased_rows')}, "
                         f"elsewhere: {er.get('mentions_elsewhere')}.")
    lines += ["", "Target: under 60 s at 10M contact events (slowest subject's median):", ""]
    for r in _sorted(sweeps):
        worst_ms = max(e["median_ms"] for e in r["sweep"].values() if isinstance(e, dict))
        lines.append(f"- {_name(r)}: {_s(worst_ms)} s "
                     f"({'under' if worst_ms < 60_000 else 'NOT under'} 60 s).")
    return lines + [""]


def _load(r: dict[str, Any]) -> str:
    before, after = r.get("load_average_before"), r.get("load_average_after")
    if not before or not after:
        return "–"
    return f"{before[0]:.1f} → {after[0]:.1f}"


def _start_rows(entries: list[dict[str, Any]]
                ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(row name, figures, entry) of each installation's command-line start, followed by
    its other PostgreSQL drivers' (``postgresql 1m (psycopg2)``)."""
    rows = []
    for r in _sorted(entries):
        c = r["clistart"]
        rows.append((_name(r), c, r))
        for driver, figures in (c.get("drivers") or {}).items():
            rows.append((f"{_name(r)} ({driver})", figures, r))
    return rows


def clistart_section(entries: list[dict[str, Any]]) -> list[str]:
    """The command line's start against ``import sqlalchemy, yaml`` (bench/clistart.py)."""
    if not entries:
        return []
    lines = ["## Command-line start", "",
             "Wall time of whole processes, from start to exit, in interleaved rounds (one warm-up"
             " round, then `--cli-runs` rounds; the order rotates from round to round); medians in"
             " ms. *search*: the console script `dpo-workbench search --format json` of AINO by "
             "phone and e-mail on the installation (a real search with its audit-log append; the "
             "workbench's indexes exist). *baseline*: `python -c \"import sqlalchemy, yaml\"`. "
             "*imports*: `python -c` importing every module a command-line search loads, nothing "
             "run. *driver*: the baseline and the installation's SQLAlchemy dialects with their "
             "database drivers (psycopg, pymysql, sqlite3), what any SQLAlchemy program on that "
             "engine imports. *python*: `python -c pass`. *CPU time*: user + system time of the "
             "process (less disturbed by other work on the machine than wall time, but without "
             "what a database server does for the search). Bytecode compiled first (`python -m "
             "compileall` of the package and the environment's site-packages) and allowed "
             "(`PYTHONDONTWRITEBYTECODE` unset in the measured processes). A PostgreSQL "
             "installation's row *(psycopg2)*: its *driver*, *imports* and *search* processes "
             "again, in the same rounds, with `workbench-psycopg2.yaml`, a settings file beside "
             "the installation's whose URLs name `postgresql+psycopg2://` (the same databases, "
             "datamap, files and state); the row above it is psycopg 3 "
             "(`postgresql+psycopg://`). Target: search / baseline at most 1.3×.", "",
             "| installation | python | baseline | driver | imports | search | search / baseline "
             "| target ≤ 1.3× | search / driver | imports / baseline | CPU time: baseline / "
             "search (ms), ratio | pandas or widgets loaded | load average before → after |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|"]
    for name, c, r in _start_rows(entries):
        m = c["medians_ms"]
        cpu = c.get("cpu_medians_ms")
        cpu_cell = (f"{_ms(cpu['baseline'])} / {_ms(cpu['search'])}, {c['cpu_ratio']:.2f}×"
                    if cpu and c.get("cpu_ratio") else "–")
        driver = f"{c['driver_ratio']:.2f}×" if c.get("driver_ratio") else "–"
        lines.append(f"| {name} | {_ms(m['python'])} | {_ms(m['baseline'])} | "
                     f"{_ms(m.get('driver'))} | {_ms(m['imports'])} | {_ms(m['search'])} | "
                     f"**{c['ratio']:.2f}×** | {'met' if c['ratio'] <= 1.3 else 'NOT met'} | "
                     f"{driver} | {c['imports_ratio']:.2f}× | {cpu_cell} | "
                     f"{', '.join(c['heavy_loaded']) or 'none'} | {_load(r['clistart'])} |")
    steps = [(name, c["steps_ms"]) for name, c, _ in _start_rows(entries) if c.get("steps_ms")]
    if steps:
        names = list(steps[0][1])
        lines += ["", "Where a search process's time goes: the same search's steps timed in "
                  "turn inside one process (medians of several processes, ms; the interpreter's "
                  "own start, about *python* above, comes before them).", "",
                  "| step | " + " | ".join(name for name, _ in steps) + " |",
                  "|---|" + "---:|" * len(steps)]
        for name in names:
            lines.append(f"| {name} | " + " | ".join(_ms(s.get(name)) for _, s in steps) + " |")
    reflections = [(r, r["clistart"]["reflection_ms"]) for r in _sorted(entries)
                   if r["clistart"].get("reflection_ms")]
    if reflections:
        lines += ["", "Reading the live schema of the five databases (`Installation.reflect`, "
                  "new connections each time, as in a new process; medians in ms): at once, on "
                  "the installation's threads, as the library does, against one database after "
                  "the other: " + "; ".join(
                      f"{_name(r)} {_ms(v['at once'])} against {_ms(v['one after the other'])}"
                      for r, v in reflections) + "."]
    for name, c, _ in _start_rows(entries):
        top = c.get("import_times") or []
        if top:
            lines += ["", f"Largest top-level imports of one search process, {name} "
                      "(`-X importtime`, cumulative ms; `dpo_workbench.cli` holds SQLAlchemy "
                      "and PyYAML, the baseline's own imports): " + ", ".join(
                          f"{t['module']} {_ms(t['ms'])}" for t in top[:8]) + "."]
    return lines + [""]


#: The large results' keys (:func:`bench.searches.large_searches`).
LARGE_KEYS = ("switchboard:phone7", "aino:phone3")


def _worst_ratio(block: dict[str, Any], label: str) -> dict[str, Any] | None:
    """The subject whose whole search / SQL alone is largest, for one search label."""
    entries = [v for k, v in block.items() if k.split(":", 1)[1] == label
               and not k.startswith("switchboard:")]
    return max(entries, key=lambda v: v["ratio"], default=None)


def overhead_section(entries: list[dict[str, Any]]) -> list[str]:
    """The public API search against its plan's SQL alone (bench/overhead.py)."""
    if not entries:
        return []
    rs = _sorted(entries)
    lines = ["## API search against its SQL alone", "",
             "*whole*: `wb.search(...)` end to end. *SQL*: the same search's plan, built "
             "beforehand, its statements executed and fetched on one connection per database, "
             "one database after the other. Interleaved runs (one warm-up each, then `--runs`), "
             "medians; the ratio is whole / SQL of the subject (AINO, SOREN, ZOE) with the "
             "largest ratio. Target: at most 2× at 10M contact events.", "",
             "| search | " + " | ".join(_name(r) for r in rs) + " |",
             "|---|" + "---:|" * len(rs)]
    def cell(v: dict[str, Any] | None) -> str:
        return "–" if v is None else \
            f"{v['ratio']:.1f}× ({_ms(v['whole_ms'])} / {_ms(v['sql_ms'])})"

    for label in LABELS:
        lines.append(f"| {label} | " + " | ".join(
            cell(_worst_ratio(r["overhead"], label)) for r in rs) + " |")
    for key in LARGE_KEYS:
        lines.append(f"| {key.replace(':', ' ')} (large) | " + " | ".join(
            cell(r["overhead"].get(key)) for r in rs) + " |")
    lines += ["", "Where the whole search's time goes, beside the SQL (medians in ms of the "
              "same runs, the subject with the largest ratio): *plan* (`wb.plan`: criteria "
              "validated, one select per table), *execute* (`execute_plan`'s own clock: the "
              "statements on the installation's search threads and the rows assembled into each "
              "group's records; the DataFrames are built later, on first use), "
              "*audit* (one search event appended to the hash-chained log; the head file "
              "beside the key file is written afterwards on a thread of the log, and every "
              "part's clock starts only once it is written); *rest* = whole − "
              "plan − execute − audit: what runs outside these clocks, among it the identity "
              "hints of the found rows' match columns, which `execute_plan` computes after its "
              "clock stops (they grow with the result; a result of too many items has none)."
              " Each column is its own median, so small differences can be negative.", ""]
    for r in rs:
        lines += [f"{_name(r)}:", "",
                  "| search | items | whole | SQL | ratio | plan | execute | execute − SQL | "
                  "audit | rest |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        keys = [(label, _worst_ratio(r["overhead"], label)) for label in LABELS]
        keys += [(key.replace(":", " "), r["overhead"].get(key)) for key in LARGE_KEYS]
        for label, v in keys:
            if v is None:
                continue
            rest = v["whole_ms"] - v["plan_ms"] - v["execute_ms"] - v["audit_ms"]
            lines.append(f"| {label} | {v['items']:,} | {_ms(v['whole_ms'])} | "
                         f"{_ms(v['sql_ms'])} | {v['ratio']:.1f}× | {_ms(v['plan_ms'])} | "
                         f"{_ms(v['execute_ms'])} | {_ms(v['execute_ms'] - v['sql_ms'])} | "
                         f"{_ms(v['audit_ms'])} | {_ms(rest)} |")
        lines.append("")
    lines.append("Where the difference goes, per installation (medians over every search "
                 "and subject, ms):")
    lines.append("")
    for r in rs:
        entries = list(r["overhead"].values())

        def mid(f: Any, entries: list[dict[str, Any]] = entries) -> float:
            return statistics.median(f(v) for v in entries)

        lines.append(
            f"- {_name(r)}: whole {_ms(mid(lambda v: v['whole_ms']))}, of which SQL "
            f"{_ms(mid(lambda v: v['sql_ms']))}; assembling the records and the hand-offs "
            f"to and from the search threads (execute − SQL) "
            f"{_ms(mid(lambda v: v['execute_ms'] - v['sql_ms']))}; the audit-log append "
            f"{_ms(mid(lambda v: v['audit_ms']))}; the plan {_ms(mid(lambda v: v['plan_ms']))}."
            f" Ratio whole / SQL: median {mid(lambda v: v['ratio']):.1f}×.")
    lines.append("")
    big = [r for r in rs if r["events"] >= 10_000_000] or rs[-1:]
    for r in big:
        ratios = [v["ratio"] for v in r["overhead"].values()]
        over = sum(1 for x in ratios if x > 2)
        lines.append(f"- Target, {_name(r)}: whole / SQL from {min(ratios):.1f}× to "
                     f"{max(ratios):.1f}× over {len(ratios)} searches; {over} above 2× "
                     f"(target at most 2×: {'met' if not over else 'NOT met'}).")
    return lines + [""]


def markdown(data: dict[str, Any]) -> str:
    results = data["results"]
    sweeps = data.get("sweeps", [])
    overheads = data.get("overheads", [])
    clistarts = data.get("clistarts", [])
    lines = ["# Benchmark results", "",
             "Produced by `python -m bench` (see bench/README.md for what is measured and "
             "how). Raw numbers, every run's time included: RESULTS.json. Where the time of a "
             "search goes, and the fixes it led to: EXPERIMENTS.md.", ""]
    lines += commands_section(results, sweeps, {"overhead": overheads,
                                                "clistart": clistarts})
    if not results:
        return "\n".join(lines + clistart_section(clistarts) + overhead_section(overheads)
                         + sweep_section(sweeps)).rstrip() + "\n"
    lines += machine_section(results, {"deep sweep": sweeps, "API against SQL": overheads,
                                       "command-line start": clistarts})
    lines += targets_section(results)
    lines += checks_section(results)
    lines += clistart_section(clistarts)
    lines += overhead_section(overheads)
    lines += sweep_section(sweeps)
    lines += growth_section(results)
    lines += builds_section(results)
    lines += ["## Per installation", ""]
    for r in _sorted(results):
        lines += detail_section(r)
    return "\n".join(lines).rstrip() + "\n"
