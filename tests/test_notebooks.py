"""The notebooks run under nbval on a fresh demo installation, outputs compared.

``notebooks/analyst_tour.ipynb`` keeps the outputs of the default demo (``make demo``:
20,000 events, seed 42); the test builds the same demo in a temporary folder and
points the notebooks at it with ``DPO_WORKBENCH_CONFIG``. Times in outputs are
replaced before comparing (``notebooks/nbval_sanitize.cfg``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dpo_workbench.demo.build import build_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default demo installation (the one the analyst tour's outputs come from)."""
    import dpo_workbench as dw

    settings = build_demo(tmp_path_factory.mktemp("nb") / "demo-install")
    with dw.open_workbench(settings) as wb:
        wb.create_indexes()
    yield settings


@pytest.mark.slow
@pytest.mark.parametrize("name", ["analyst_tour.ipynb", "dpo_dashboard.ipynb"])
def test_notebook_outputs(demo: Path, name: str, tmp_path: Path) -> None:
    env = dict(os.environ, DPO_WORKBENCH_CONFIG=str(demo))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg",
         "--rootdir", str(NOTEBOOKS), "-c", os.devnull, name],
        cwd=NOTEBOOKS, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("name", ["analyst_tour.ipynb", "dpo_dashboard.ipynb"])
def test_notebooks_are_committed_clean(name: str) -> None:
    """No widget state and no run metadata in the committed notebooks."""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    assert "widgets" not in nb["metadata"]
    for cell in nb["cells"]:
        assert "execution" not in cell.get("metadata", {})


@pytest.mark.slow
def test_nbval_lax_runs_the_notebooks_after_make_run_without_variables(demo: Path) -> None:
    """`pytest --nbval-lax notebooks` from the project's folder, as after `make run`.

    The demo fixture lives in ``<tmp>/demo-install``, where ``make run`` builds it
    beside ``notebooks/``; the notebooks are copied beside it and run with no
    ``DPO_WORKBENCH_CONFIG``.
    """
    import shutil

    project = demo.parent.parent
    shutil.copytree(NOTEBOOKS, project / "notebooks", dirs_exist_ok=True)
    shutil.copy(NOTEBOOKS.parent / "pyproject.toml", project)  # its pytest options apply
    env = {k: v for k, v in os.environ.items() if k != "DPO_WORKBENCH_CONFIG"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "notebooks", "-q",
         "-p", "no:cacheprovider"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
