"""docs/datamap.md's second worked example, built and searched as a real installation."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import dpo_workbench as dw

ROOT = Path(__file__).resolve().parent.parent


def _example():
    spec = importlib.util.spec_from_file_location(
        "small_centre", ROOT / "docs" / "examples" / "small_centre.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


small_centre = _example()


@pytest.fixture(scope="module")
def wb(tmp_path_factory: pytest.TempPathFactory):
    settings = small_centre.build(tmp_path_factory.mktemp("small") / "centre")
    with dw.open_workbench(settings, user="dpo") as wb:
        wb.create_indexes()
        yield wb


def test_the_docs_show_the_example_datamap():
    doc = (ROOT / "docs" / "datamap.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Worked example: an installation that is not the demo"):]
    shown = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    assert shown == small_centre.DATAMAP


def test_a_span_search_finds_exactly_the_days_asked_for(wb):
    result = wb.search(phone="+358 50 555 0199", email="maija.korhonen@example.fi",
                       start="2024-04-01", end="2024-04-30")
    contacts = result.contacts.set_index("_key")
    # March 31 23:59:59 and May 1 00:00:00 are outside; the decoy c-0006 is not hers
    assert sorted(contacts.index) == ["c-0002", "c-0003", "c-0004"]
    assert contacts.loc["c-0002", "_copies"] == ["mirror.call_log_copy#c-0002"]
    assert contacts.loc["c-0004", "_copies"] == []  # not mirrored yet
    assert contacts.loc["c-0003", "_match_column"] == "callee"
    assert list(result.directory_entries["_key"]) == [1]  # mailto:, case and a space
    assert list(result.consents["_key"]) == [1]  # the ISO text of March is outside
    assert result.not_restricted_by_dates == ("crm.customer",)


def test_the_customers_second_number_is_a_hint_never_searched(wb):
    result = wb.search(phone="+358 50 555 0199")
    hints = {(h.kind, h.value): h.places for h in wb.identity_hints(result)}
    assert hints[("phone", "09 8765 432")] == ("crm.customer#1 landline",)
    assert wb.search(phone="09 8765 432").total == 1  # only when the DPO adds it
