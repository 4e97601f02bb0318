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
                 "--report-runs", "1", "--sweep-runs", "1", "--out", str(out), "--work",
                 str(tmp_path / "work"), "--fresh", "--keep"]) == 0
    text = out.read_text()
    for section in ("## Machine", "## Targets", "## Target check", "## Search latency by size",
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
