"""The package's metadata: build floor, extras, and a conda environment that matches."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

#: PyPI name -> conda-forge name, where they differ. Playwright's Python package is
#: `playwright-python` on conda-forge (`playwright` there is not the Python library);
#: psycopg2's prebuilt wheels are `psycopg2-binary` on PyPI, conda-forge's `psycopg2`
#: is built already.
CONDA_NAMES = {"playwright": "playwright-python", "psycopg2-binary": "psycopg2"}


def _split(requirement: str) -> tuple[str, str]:
    """(name without extras, version specifier) of a requirement."""
    name, _, rest = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?(.*)", requirement).groups()
    return name.lower(), rest.strip()


def _pyproject_requirements() -> dict[str, str]:
    out: dict[str, str] = {}
    for req in [*PROJECT["dependencies"],
                *(r for extra in PROJECT["optional-dependencies"].values() for r in extra)]:
        name, spec = _split(req)
        out[CONDA_NAMES.get(name, name)] = spec
    return out


def test_conda_environment_matches_pyproject_in_conda_forge_names():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    listed.pop("python"), listed.pop("pip")
    assert listed == _pyproject_requirements()


def test_conda_environment_installs_the_project_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_setuptools_floor_reads_the_license_expression():
    # `license = "MIT"` (a PEP 639 expression) needs setuptools 77; with 68 the build fails.
    assert isinstance(PROJECT["license"], str)
    floor = next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    version = tuple(int(p) for p in re.search(r">=\s*([\d.]+)", floor).group(1).split("."))
    assert version >= (77,)


def test_the_core_install_carries_no_dashboard_or_jupyterlab():
    core = {_split(r)[0] for r in PROJECT["dependencies"]}
    assert not core & {"voila", "ipywidgets", "jupyterlab", "jupyter-server", "notebook"}
    extras = PROJECT["optional-dependencies"]
    assert {_split(r)[0] for r in extras["dashboard"]} >= {"voila", "ipywidgets"}
    assert "jupyterlab" in {_split(r)[0] for r in extras["notebooks"]}
    # make run and make test install every extra
    makefile = (ROOT / "Makefile").read_text()
    assert f"-e '.[{','.join(sorted(extras))}]'" in makefile


_HIDE = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("voila", "ipywidgets", "jupyter_server"):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Hide())
from dpo_workbench.serve import main
sys.exit(main(["--config", sys.argv[1]]))
"""


def test_serving_without_the_dashboard_extra_names_the_install_command(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-c", _HIDE, str(tmp_path / "workbench.yaml")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3
    assert "pip install 'dpo-workbench[dashboard]'" in proc.stderr
    assert "Traceback" not in proc.stderr
