"""`make test` runs the examples in the library's docstrings, not only tests/.

The doctests themselves run as items of the same session (pyproject.toml's
``--doctest-modules`` over ``dpo_workbench``; dpo_workbench/conftest.py gives them
a demo installation); this checks that the configuration collects them at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _collected_with_default_arguments() -> set[str]:
    """The ids that ``python -m pytest`` with no arguments (as `make test` runs it) collects."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return {line.strip() for line in proc.stdout.splitlines() if "::" in line}


def test_the_default_run_collects_the_library_doctests_besides_the_tests():
    ids = _collected_with_default_arguments()
    # one example without an installation, and ones that need the demo's `wb` and `report`
    for doctest_id in ("dpo_workbench/errors.py::dpo_workbench.errors.exit_status",
                       "dpo_workbench/search.py::dpo_workbench.search.SearchResult",
                       "dpo_workbench/report/bundle.py::dpo_workbench.report.bundle.write_zip"):
        assert doctest_id in ids, sorted(i for i in ids if i.startswith("dpo_workbench/"))[:20]
    assert any(i.startswith("tests/test_readme.py::") for i in ids)
