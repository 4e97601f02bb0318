"""The dashboard page's templates (dpo_workbench.web.handlers), without a server."""

from __future__ import annotations

import os

import jinja2
import pytest

from dpo_workbench.web.app import SHARE
from dpo_workbench.web.handlers import DashboardExporter


def test_each_page_template_is_compiled_once_for_every_page(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Voila makes a new exporter for every page it renders; the dashboard's compiles
    the page's templates for the first page only."""
    from voila.paths import collect_template_paths

    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
        p for p in (str(SHARE), os.environ.get("JUPYTER_PATH", "")) if p))
    compiled: list[str | None] = []
    compile_template = jinja2.Environment._compile

    def counted(self: jinja2.Environment, source: str, filename: str) -> object:
        compiled.append(filename)
        return compile_template(self, source, filename)

    monkeypatch.setattr(jinja2.Environment, "_compile", counted)
    paths = collect_template_paths(["voila", "nbconvert"], "dpo")
    # The page's template and those it imports (the lab template it extends alike).
    names = ["index.html.j2", "spinner.macro.html.j2", "log.macro.html.j2",
             "voila_setup.macro.html.j2"]
    for page in range(3):
        exporter = DashboardExporter(template_paths=paths, template_name="dpo")
        for name in names:
            exporter.environment.get_template(name)
        if page == 0:
            first = len(compiled)
            assert first == len(names)
    assert len(compiled) == first
