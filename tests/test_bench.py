"""The benchmark runner runs end to end (tiny size; no timing is asserted)."""

from __future__ import annotations

import json

from bench.__main__ import main


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
