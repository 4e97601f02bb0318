"""The benchmark runner runs end to end (tiny size; no timing is asserted), and so does
the how-to of bench/EXPERIMENTS.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import demo_installation

from bench.__main__ import main

EXPERIMENTS = Path(__file__).resolve().parent.parent / "bench" / "EXPERIMENTS.md"


def test_the_benchmark_runs_and_writes_its_results(tmp_path):
    out = tmp_path / "RESULTS.md"
    assert main(["--sizes", "3k", "--engines", "sqlite", "--runs", "1", "--naive-runs", "1",
                 "--report-runs", "1", "--sweep-runs", "1", "--cli-runs", "1", "--out",
                 str(out), "--work", str(tmp_path / "work"), "--fresh", "--keep"]) == 0
    text = out.read_text()
    for section in ("## Machine", "## Targets", "## Target check", "## Command-line start",
                    "## API search against its SQL alone", "## Search latency by size",
                    "## Build times", "## Deep sweep"):
        assert section in text
    assert "sqlite 3k" in text and "verified: True" in text
    data = json.loads(out.with_suffix(".json").read_text())
    [result] = data["results"]
    assert result["full_scan"] and result["indexed"]
    [swept] = data["sweeps"]
    subjects = [v for v in swept["sweep"].values() if isinstance(v, dict)]  # and load averages
    assert len(subjects) == 2
    for subject in subjects:  # three ways, the same mentions
        assert subject["same_as_one_thread"] and subject["same_as_python"], subject
        assert subject["mentions"] > 0 and subject["tables"] == 16

    # --only sweep measures the sweep again and keeps the other figures of the first run
    assert main(["--sizes", "3k", "--engines", "sqlite", "--only", "sweep", "--sweep-runs", "1",
                 "--out", str(out), "--work", str(tmp_path / "work"), "--keep"]) == 0
    again = json.loads(out.with_suffix(".json").read_text())
    assert again["results"] == data["results"] and len(again["sweeps"]) == 1
    assert "--only sweep" in again["sweeps"][0]["command"]
    assert "(deep sweep)" in out.read_text()

    # the full run measured the API's overhead and the command line's start too
    [overhead] = again["overheads"]
    assert overhead["overhead"]["aino:email"]["sql_ms"] > 0
    assert overhead["overhead"]["aino:email"]["items"] > 0
    [start] = again["clistarts"]
    assert set(start["clistart"]["medians_ms"]) == {"python", "baseline", "driver", "imports",
                                                    "search"}
    assert start["clistart"]["heavy_loaded"] == []  # no pandas on the command line's path

    # --only overhead and --only clistart measure their part alone, keeping the others
    for part, name, label in (("overhead", "overheads", "API against SQL"),
                              ("clistart", "clistarts", "command-line start")):
        assert main(["--sizes", "3k", "--engines", "sqlite", "--only", part, "--runs", "1",
                     "--cli-runs", "1", "--out", str(out), "--work", str(tmp_path / "work"),
                     "--keep"]) == 0
        later = json.loads(out.with_suffix(".json").read_text())
        assert later["results"] == data["results"] and later["sweeps"] == again["sweeps"]
        assert len(later[name]) == 1 and f"--only {part}" in later[name][0]["command"]
        assert f"sqlite 3k ({label})" in out.read_text()


def test_the_new_tables_render_from_stored_figures():
    """The overhead and start tables: ratios, targets and a MariaDB column, from raw figures."""
    from bench.render import clistart_section, overhead_section

    def part(engine, events, **fields):
        return {"engine": engine, "events": events, "seed": 42, **fields}

    def searched(whole, sql):
        return {"whole_ms": whole, "sql_ms": sql, "plan_ms": 1.0, "execute_ms": sql + 1.0,
                "audit_ms": 2.0, "ratio": whole / sql, "items": 7}

    overheads = [part("mariadb", 1_000_000, overhead={"aino:email": searched(6.0, 2.0),
                                                     "zoe:email": searched(9.0, 2.0)}),
                 part("sqlite", 10_000_000, overhead={"aino:email": searched(3.0, 2.0)})]
    text = "\n".join(overhead_section(overheads))
    assert "| search | sqlite 10m | mariadb 1m |" in text  # engines in a fixed order
    assert "| email | 1.5× (3.00 / 2.00) | 4.5× (9.00 / 2.00) |" in text  # the worst subject
    assert "Target, sqlite 10m: whole / SQL from 1.5× to 1.5× over 1 searches; 0 above 2× " \
           "(target at most 2×: met)" in text
    assert "- mariadb 1m: whole 7.50, of which SQL 2.00;" in text  # medians over searches

    start = {"medians_ms": {"python": 20.0, "baseline": 200.0, "driver": 250.0, "imports": 230.0,
                            "search": 280.0}, "ratio": 1.4, "imports_ratio": 1.15,
             "driver_ratio": 1.12,
             "heavy_loaded": [], "load_average_before": [1.0, 1, 1],
             "load_average_after": [2.0, 1, 1], "steps_ms": {"audit append": 3.0},
             "import_times": [{"module": "dpo_workbench.cli", "ms": 190.0, "self_ms": 1.0}],
             "reflection_ms": {"at once": 10.0, "one after the other": 30.0}}
    text = "\n".join(clistart_section([part("sqlite", 1_000_000, clistart=start)]))
    assert "| sqlite 1m | 20.0 | 200.0 | 250.0 | 230.0 | 280.0 | **1.40×** | NOT met | 1.12× | " \
           "1.15× | – | none | 1.0 → 2.0 |" in text
    assert "| audit append | 3.00 |" in text and "dpo_workbench.cli 190.0" in text
    assert "sqlite 1m 10.0 against 30.0" in text

    # a PostgreSQL installation's second driver: its own row (and step column) below its own
    psycopg2 = {"settings": "workbench-psycopg2.yaml",
                "medians_ms": {"python": 20.0, "baseline": 200.0, "driver": 220.0,
                               "imports": 210.0, "search": 250.0}, "ratio": 1.25,
                "imports_ratio": 1.05, "driver_ratio": 1.136, "heavy_loaded": [],
                "steps_ms": {"audit append": 2.5},
                "import_times": [{"module": "psycopg2", "ms": 9.0, "self_ms": 1.0}]}
    pg = dict(start, drivers={"psycopg2": psycopg2})
    text = "\n".join(clistart_section([part("postgresql", 1_000_000, clistart=pg),
                                       part("sqlite", 1_000_000, clistart=start)]))
    rows = [line for line in text.splitlines() if line.startswith("| sqlite 1m |")
            or line.startswith("| postgresql 1m")]
    assert rows == [
        "| sqlite 1m | 20.0 | 200.0 | 250.0 | 230.0 | 280.0 | **1.40×** | NOT met | 1.12× | "
        "1.15× | – | none | 1.0 → 2.0 |",
        "| postgresql 1m | 20.0 | 200.0 | 250.0 | 230.0 | 280.0 | **1.40×** | NOT met | 1.12× | "
        "1.15× | – | none | 1.0 → 2.0 |",
        "| postgresql 1m (psycopg2) | 20.0 | 200.0 | 220.0 | 210.0 | 250.0 | **1.25×** | met | "
        "1.14× | 1.05× | – | none | 1.0 → 2.0 |"]
    assert "| step | sqlite 1m | postgresql 1m | postgresql 1m (psycopg2) |" in text
    assert "| audit append | 3.00 | 3.00 | 2.50 |" in text
    assert "postgresql 1m (psycopg2) (`-X importtime`" in text and "psycopg2 9.00" in text


def test_mariadb_is_an_engine_of_the_benchmark():
    from bench.__main__ import parse_args
    from bench.run import _mariadb_access

    args = parse_args(["--engines", "sqlite,postgresql,mariadb", "--only", "clistart"])
    assert args.engines == ["sqlite", "postgresql", "mariadb"] and args.only == "clistart"
    # one row of MariaDB's EXPLAIN: an index merge reads two indexes; no key is a scan
    assert _mariadb_access("1 | SIMPLE | t | index_merge | a,b | a,b | 7,7 | None | 3 | "
                           "Using union(a,b)") == ["index a", "index b"]
    assert _mariadb_access("1 | SIMPLE | t | ALL | None | None | None | None | 9 | ") == \
        ["SCAN t"]
    # a key read from its first entry to its last is a scan, not a seek
    assert _mariadb_access("1 | SIMPLE | t | index | None | k | 46 | None | 9 | Using where") \
        == ["SCAN t (whole index k)"]


def test_the_how_to_measure_the_parts_of_a_search_runs(tmp_path, capsys):
    # the profiling script it replaces patched library internals and broke unnoticed
    [code] = re.findall(r"```python\n(.*?)```", EXPERIMENTS.read_text(encoding="utf-8"),
                        flags=re.S)
    with demo_installation(tmp_path / "demo") as settings:
        code = code.replace("bench/work/sqlite-10m-s42/workbench.yaml", str(settings))
        exec(compile(code, str(EXPERIMENTS), "exec"), {})  # noqa: S102 - our own document
    out = capsys.readouterr().out
    for part in ("whole search", "plan", "execute", "audit append"):
        assert f"'{part}': " in out
    assert re.search(r"USING INDEX dpo_email[0-9a-f]{4}_contact_events_remote_address", out)


def test_the_dashboard_benchmark_obtains_its_installation(tmp_path):
    """``python -m bench.dashboard`` builds (or reuses) its installation with the indexes."""
    from bench.dashboard import installation

    settings = installation("3k", tmp_path / "work")
    assert settings.is_file() and (settings.parent / "bench-indexes.done").is_file()
    assert installation("3k", tmp_path / "work") == settings  # reused


def test_results_measured_on_different_processors_say_which_ran_where():
    from bench.render import machine_section

    machine = {"cpu": "CPU A", "cores": 2, "ram_gib": 23.5, "os": "Debian", "python": "3.11",
               "sqlite": "3.40", "pandas": "3", "sqlalchemy": "2.1", "psycopg": "3.3"}
    results = [{"engine": "sqlite", "events": 1_000_000, "machine": machine}]
    same = machine_section(results, {"command-line start": [dict(results[0])]})
    other = machine_section(results, {"command-line start": [
        {"engine": "postgresql", "events": 1_000_000, "machine": {**machine, "cpu": "CPU B"}}]})

    assert "- CPU: CPU A, 2 cores; RAM 23.5 GiB" in same
    assert not [line for line in same if line.startswith("- Measured on")]
    assert "- Measured on CPU A: sqlite 1m" in other
    assert "- Measured on CPU B: postgresql 1m (command-line start)" in other
    assert not [line for line in other if "CPU:" in line]
