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
                 "--report-runs", "1", "--out", str(out), "--work", str(tmp_path / "work"),
                 "--fresh"]) == 0
    text = out.read_text()
    for section in ("## Machine", "## Targets", "## Target check", "## Search latency by size",
                    "## Build times"):
        assert section in text
    assert "sqlite 3k" in text and "verified: True" in text
    [result] = json.loads(out.with_suffix(".json").read_text())["results"]
    assert result["full_scan"] and result["indexed"]


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
