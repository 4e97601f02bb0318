"""Memory of one search, measured in a fresh process.

``python -m bench.rss SETTINGS WAY SUBJECT KIND`` opens the installation, runs one
warm-up search of another subject (so that lazily imported modules and pooled
connections are counted in the baseline), resets the peak RSS, runs the measured
search, and prints JSON: the resident set size before and its peak during the
search (``/proc/self/status`` VmRSS, VmHWM), and the peak of Python allocations
during the search (``tracemalloc``). WAY is ``api`` (the
workbench) or ``pandas`` (load the tables, filter in pandas).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any


def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> float:
    """Reset the peak RSS to the current RSS (Linux); return the current RSS in MiB.

    ``ru_maxrss`` cannot be used here: Linux carries it over from the parent process
    across fork and exec, so it would show the benchmark runner's peak.
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass
    now = _status_mib("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_mib() -> float:
    peak = _status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    settings, way, subject, kind = argv
    import dpo_workbench as dw
    from dpo_workbench.demo import samples

    from .searches import Search, api_search, pandas_way

    subj = getattr(samples, subject.upper())
    search = Search(kind, False, subj)
    warm = Search("phone7", False, samples.NEIGHBOUR)
    with dw.open_workbench(settings, user="bench") as wb:
        run = api_search if way == "api" else pandas_way
        if way == "api":
            run(wb, warm)
        before = _reset_peak()
        tracemalloc.start()
        result = run(wb, search)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after = _peak_mib()
        items = result.total if way == "api" else int(result)
    print(json.dumps({"rss_before_mib": round(before, 1), "rss_after_mib": round(after, 1),
                      "rss_growth_mib": round(after - before, 1),
                      "traced_peak_mib": round(peak / 2**20, 1), "items": items}))
    return 0


def measure(settings: Path, way: str, subject: str, kind: str) -> dict[str, Any]:
    """Run :func:`main` in a child process; its JSON, or ``{"error": ...}``."""
    proc = subprocess.run([sys.executable, "-m", "bench.rss", str(settings), way, subject, kind],
                          capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
