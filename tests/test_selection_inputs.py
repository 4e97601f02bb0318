"""Selections made from what a pandas user holds: rows, frames, masks, itertuples, text keys.

Issue 12, finding "Keys and selection": each test is named for one part of it and
fails on the code the finding was made on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import demo_installation

import dpo_workbench as dw
from dpo_workbench.demo.samples import AINO
from dpo_workbench.errors import NotFound, UsageError
from dpo_workbench.selection import RowRef, Selection


@pytest.fixture(scope="module")
def wb(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("selection") / "demo-install"
    with demo_installation(folder) as settings, dw.open_workbench(settings, user="t") as wb:
        yield wb


@pytest.fixture(scope="module")
def result(wb):
    return wb.search(phone=AINO.phone)


def _unselected(sel: Selection) -> set[str]:
    return {str(r) for r in sel.deselected}


def test_unselect_takes_a_row_of_a_frame_not_only_a_rowref(result):
    # Was: TypeError "unhashable type: 'Series'".
    df = result.contacts
    sel = Selection.all(result).unselect(df.iloc[0])
    assert _unselected(sel) == {str(RowRef.from_record(df.iloc[0]))}
    # a dict row, a list of rows and a row of iterrows() too
    assert Selection.all(result).unselect(df.iloc[0].to_dict()) == sel
    assert len(Selection.all(result).unselect([df.iloc[0], df.iloc[1]]).deselected) == 2
    _, row = next(df.iterrows())
    assert Selection.all(result).unselect(row) == sel


def test_a_selection_from_a_frame_selects_exactly_its_rows(result):
    df = result.contacts
    sms = df[df["channel"] == "sms"]
    assert 0 < len(sms) < len(df)
    sel = Selection.from_frame(result, sms)
    assert [str(r) for r in sel.selected()] == [str(r) for r in RowRef.from_frame(sms)]
    # a frame given to unselect unticks every row of it, other groups untouched
    sel = Selection.all(result).unselect(sms)
    assert sel.counts()["contacts"] == (len(df) - len(sms), len(df))
    assert sel.counts()["consents"] == (len(result.consents),) * 2


def test_a_selection_from_a_boolean_mask_over_a_group_frame(result):
    df = result.contacts
    mask = df["channel"] == "sms"
    sel = Selection.all(result).select_mask("contacts", mask)
    assert sel.selected("contacts") == RowRef.from_frame(df[mask])
    assert len(sel.selected("consents")) == len(result.consents)
    # a mask that does not line up with the group is refused, not applied by position
    with pytest.raises(UsageError, match="does not line up"):
        Selection.all(result).select_mask("contacts", mask[1:])
    with pytest.raises(UsageError, match="does not line up"):
        Selection.all(result).select_mask("contacts", mask.sort_values())


def test_itertuples_rows_give_their_reference_with_the_frames_columns(result):
    # Was: KeyError '_key': itertuples() renames _database, _table, _key to _8, _9, _10.
    df = result.contacts
    first = next(df.itertuples())
    expected = RowRef.from_record(df.iloc[0])
    assert RowRef.from_record(first, columns=df.columns) == expected
    assert RowRef.from_record(first._asdict(), columns=df.columns) == expected
    assert RowRef.from_record(next(df.itertuples(index=False)), columns=df.columns) == expected
    # without the columns the error says what to do instead of a bare KeyError
    with pytest.raises(UsageError, match="columns=df.columns"):
        RowRef.from_record(first._asdict())
    # the frame's rows in one call, in order
    refs = RowRef.from_frame(df)
    assert [RowRef.from_record(row, columns=df.columns) for row in df.itertuples()] == refs


def test_unselect_group_with_a_wrong_name_names_the_valid_groups(result):
    # Was: a bare KeyError 'consent'.
    with pytest.raises(UsageError) as err:
        Selection.all(result).unselect_group("consent")
    message = str(err.value)
    assert "did you mean 'consents'" in message
    assert "contacts, directory_entries, campaign_customers, consents" in message


def test_a_string_key_finds_the_item_whose_key_is_an_integer(wb, result):
    # Was: "not found" for a key typed as text although the row exists.
    ref = result.refs("contacts")[0]
    assert isinstance(ref.key, int)
    text = f"{ref.database}.{ref.table}#{ref.key}"
    parsed = RowRef.parse(text)
    assert parsed.key == str(ref.key)
    sel = Selection.all(result)
    assert sel.unselect(parsed).deselected == {ref}
    assert sel.unselect(text).deselected == {ref}  # the text itself
    assert sel.unselect(parsed).select(ref) == sel
    assert wb.details(parsed).ref == ref
    assert wb.ref(text) == ref


def test_an_item_not_in_the_result_is_named_not_a_bare_keyerror(result):
    with pytest.raises(NotFound, match=r"operative.contact_events#99999999 is not an item"):
        Selection.all(result).unselect("operative.contact_events#99999999")
    with pytest.raises(UsageError, match="no _database, _table, _key column"):
        Selection.all(result).unselect(result.contacts[["channel"]])


def test_details_take_a_row_of_a_result_frame(wb):
    result = wb.search(phone="+358 40 123 4567")
    row = result.contacts.iloc[0]
    assert wb.details(row).ref == dw.RowRef.from_record(row)
