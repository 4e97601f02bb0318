"""The library's doctests run on a small demo installation.

``--doctest-modules`` (pyproject.toml) collects the examples in the docstrings of
``dpo_workbench``. An example that needs an installation uses these names, which
every doctest that mentions one of them finds in its namespace:

==============  ==========================================================================
``dw``          the package ``dpo_workbench``
``Selection``   :class:`dpo_workbench.selection.Selection`
``wb``          an open :class:`~dpo_workbench.workbench.Workbench` (user ``analyst``) on
                the demo installation of 2,500 contact events, indexes created
``inst``        ``wb.installation``
``result``      ``wb.search(phone="+358 40 123 4567")``: the README's sample subject
``report``      ``build_report(inst, Selection.all(result), criteria=result.criteria)``
==============  ==========================================================================

The demo is built once per test session (once per xdist worker, about a second),
and only by a worker that runs such an example. Every doctest of a worker shares
it, so no example may change its data (erase): the examples' counts must not
depend on the order they run in. Each doctest runs in its own temporary working
directory, so an example that writes ``aino.zip`` leaves nothing in the checkout.

This file is test scaffolding that only pytest imports; it sits in the package
because a conftest applies to the folder it is in, and a second top-level
``conftest`` beside tests/conftest.py would make ``from conftest import ...`` in
the tests ambiguous. tests/conftest.py holds the test suite's fixtures.
"""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterator
from typing import Any

import pytest

# pytest names its doctest items only in this module; the class is what marks one.
from _pytest.doctest import DoctestItem

import dpo_workbench as dw
from dpo_workbench.demo.build import build_demo
from dpo_workbench.report import build_report
from dpo_workbench.selection import Selection

#: tests/conftest.py's SMALL_EVENTS: big enough for every sample subject.
DOCTEST_EVENTS = 2500
#: The sample subject of the README, searched for ``result``.
SAMPLE_PHONE = "+358 40 123 4567"
#: Names of the namespace that need the demo installation (building it takes a second).
_NEEDS_DEMO = re.compile(r"\b(wb|inst|result|report)\b")


@pytest.fixture(scope="session")
def doctest_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The names the examples use (see the module notes), on a fresh demo installation."""
    settings = build_demo(tmp_path_factory.mktemp("doctest") / "demo-install",
                          events=DOCTEST_EVENTS)
    with dw.open_workbench(settings, user="analyst") as wb:
        wb.create_indexes()
        result = wb.search(phone=SAMPLE_PHONE)
        report = build_report(wb.installation, Selection.all(result), criteria=result.criteria)
        yield {"wb": wb, "inst": wb.installation, "result": result, "report": report}


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest) -> None:
    """Give a doctest the names it uses and a temporary working directory.

    Autouse fixtures are set up before a doctest copies ``doctest_namespace`` into
    its globals, so what is added here is there when its examples run.
    """
    item = request.node
    if not isinstance(item, DoctestItem):
        return
    namespace: dict[str, Any] = request.getfixturevalue("doctest_namespace")
    namespace.update(dw=dw, Selection=Selection)
    if any(_NEEDS_DEMO.search(example.source) for example in item.dtest.examples
           if not example.options.get(doctest.SKIP)):
        namespace.update(request.getfixturevalue("doctest_demo"))
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
