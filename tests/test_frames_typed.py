"""Result frames typed from the schema, and inputs as pandas users have them.

Issue 12, findings "Column types depend on the data" and "Empty pandas cells crash the
search": each test is named for one part and fails on the code the findings were made on.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import demo_installation

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO
from dpo_workbench.errors import InvalidCriteria

GROUPS = ("contacts", "directory_entries", "campaign_customers", "consents")
NOBODY = "+358 40 000 0009"  # no demo row ends in these digits


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("frames") / "demo-install"
    with demo_installation(folder) as settings:
        yield settings


@pytest.fixture(scope="module")
def wb(demo):
    with dw.open_workbench(demo, user="t") as wb:
        yield wb


def _dtypes(result, group: str) -> dict[str, str]:
    return {c: str(t) for c, t in getattr(result, group).dtypes.items()}


def test_column_types_are_the_same_whatever_the_data(wb):
    by_phone = wb.search(phone=AINO.phone)
    by_email = wb.search(email=AINO.email)
    empty = wb.search(phone=NOBODY)
    assert empty.total == 0
    for group in GROUPS:
        assert _dtypes(by_phone, group) == _dtypes(by_email, group) == _dtypes(empty, group)
    contacts = _dtypes(empty, "contacts")
    assert contacts["started_at"].startswith("datetime64")
    assert contacts["_key"] == "Int64"
    assert contacts["remote_address"] == contacts["remote_number"] == "string"
    assert contacts["_span_applied"] == "boolean"


def test_concatenated_searches_keep_their_types(wb):
    both = pd.concat([wb.search(phone=AINO.phone).contacts,
                      wb.search(email=AINO.email).contacts,
                      wb.search(phone=NOBODY).contacts])
    assert str(both["started_at"].dtype).startswith("datetime64")
    assert str(both["_key"].dtype) == "Int64"
    assert str(both["remote_address"].dtype) == "string"
    assert both["remote_address"].isna().any()  # a phone-only row: missing, not "None"
    assert not both["remote_address"].astype(object).isin(["None", "nan", "NaN"]).any()


def test_copies_are_a_list_and_the_match_is_structured(wb):
    contacts = wb.search(phone=AINO.phone, email=AINO.email).contacts
    assert all(isinstance(c, list) for c in contacts["_copies"])
    assert any(c for c in contacts["_copies"])  # the demo mirrors some contacts
    assert set(contacts["_match_kind"]) <= {"phone", "email"}
    assert set(contacts["_match_column"]) <= {"remote_number", "remote_address"}
    assert all(col in why for col, why in zip(contacts["_match_column"], contacts["_matched"],
                                              strict=True))


@pytest.mark.parametrize("empty", [None, float("nan"), pd.NA, "", "  "],
                         ids=["None", "nan", "pd.NA", "empty", "blank"])
def test_empty_pandas_cells_mean_not_given(wb, empty):
    alone = wb.search(phone=AINO.phone)
    with_empty = wb.search(phone=AINO.phone, email=empty, first_name=empty, last_name=empty)
    for group in GROUPS:
        assert list(getattr(with_empty, group)["_key"]) == list(getattr(alone, group)["_key"])


def test_a_whole_digits_float_is_its_integer_and_a_fraction_is_refused(wb):
    assert (list(wb.search(phone=AINO.phone, digits=7.0).contacts["_key"])
            == list(wb.search(phone=AINO.phone, digits=7).contacts["_key"]))
    with pytest.raises(InvalidCriteria):
        wb.search(phone=AINO.phone, digits=7.5)


def test_a_requests_frame_row_by_row_searches_without_errors(wb):
    """What an analyst does with a requests CSV: every empty cell arrives as NaN."""
    requests = pd.read_csv(io.StringIO(
        "email,phone,digits\n"
        f"{AINO.email},,\n"
        f",{AINO.phone},7\n"))
    counts = [wb.search(email=r.email, phone=r.phone, digits=r.digits).total
              for r in requests.itertuples()]
    assert counts == [wb.search(email=AINO.email).total, wb.search(phone=AINO.phone).total]


def test_the_command_line_table_shows_every_missing_cell_alike(demo):
    out = io.StringIO()
    assert main(["search", "-c", str(demo), "--phone", AINO.phone, "--email", AINO.email],
                out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert "<NA>" in text
    assert " None " not in text and " NaN " not in text and " nan " not in text
