"""The README's examples run against the code as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import demo_installation

from dpo_workbench.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    with demo_installation(folder / "demo-install") as settings:
        yield settings


def test_the_api_tour_runs(demo, tmp_path, monkeypatch):
    [tour] = _blocks("python")[:1]
    monkeypatch.chdir(tmp_path)
    code = tour.replace("demo-install/workbench.yaml", str(demo))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert (tmp_path / "aino.zip").stat().st_size > 0
    assert namespace["result"].total > 0  # type: ignore[attr-defined]
    assert "Nothing to erase" not in namespace["plan"].describe()  # type: ignore[attr-defined]


def test_every_command_in_the_reference_exists():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    documented = set(re.findall(r"`dpo-workbench (\w+)", README))
    assert documented, "the README documents no command"
    assert documented <= set(sub.choices), documented - set(sub.choices)


def test_the_sample_subjects_table_matches_the_demo():
    from dpo_workbench.demo.samples import SAMPLES

    for s in SAMPLES:
        assert f"`{s.phone}`" in README and f"`{s.email}`" in README, s.key
