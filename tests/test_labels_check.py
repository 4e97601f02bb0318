"""The datamap's labels and third-party declarations, checked like every other key.

A label naming a column the table does not have would never show, and a third
party declared on a misspelt column would leave an agent's name unredacted in the
subject's copy without a word: ``check`` refuses both, naming the place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.errors import DatamapError


def _with_datamap(settings: Path, old: str, new: str) -> Path:
    """The installation of ``settings`` with ``old`` replaced by ``new`` in its datamap."""
    datamap = settings.parent / "datamap.yaml"
    text = datamap.read_text(encoding="utf-8")
    assert old in text, old
    datamap.write_text(text.replace(old, new, 1), encoding="utf-8")
    return settings


# (replaced text of the demo datamap, new text, words the problem must hold)
LABEL_PROBLEMS = [
    # a label for a column the table does not have (misspelt)
    ("remote_number: Phone number", "remote_numbr: Phone number",
     ["table contact_events: labels column 'remote_numbr' does not exist in contact_events"]),
    # a third party on a column the lookup table does not have
    ("third_party: [display_name]", "third_party: [display_nam]",
     ["table contact_events.lookups.agent: third_party column 'display_nam' does not exist "
      "in users"]),
    # a condition on a column the child table does not have
    ("when: {sender: agent}", "when: {sendr: agent}",
     ["table contact_events.children.transcript.third_party.sender_name: condition column "
      "'sendr' does not exist in transcript_messages"]),
    # a condition on a column that exists but is not read for the report
    ("when: {sender: agent}", "when: {contact_id: '1'}",
     ["children.transcript.third_party.sender_name: the condition's column(s) contact_id are "
      "not read for the report", "add them to 'show'"]),
    # a third party on a lookup column that the lookup does not show
    ("third_party: [display_name]", "third_party: [display_name, username]", []),
]


@pytest.mark.parametrize(("old", "new", "words"), LABEL_PROBLEMS)
def test_check_refuses_labels_of_unknown_columns(fixed_copy, capsys, old, new, words):
    settings = _with_datamap(fixed_copy, old, new)
    if not words:  # a declared column that exists is fine, shown or not
        dw.open_workbench(settings).close()
        return
    assert main(["check", "--config", str(settings)]) == 3
    err = capsys.readouterr().err
    assert "datamap.yaml" in err
    for w in words:
        assert w in err


# (replaced text, new text, words): problems found before any database is touched
DECLARATION_PROBLEMS = [
    # an empty label would leave a heading blank
    ("label: Contact\n", "label: ''\n", ["table contact_events.label is empty"]),
    ("remote_number: Phone number", "remote_number: ' '",
     ["table contact_events.labels.remote_number is empty", "'Remote number'"]),
    # a condition that names no value can never hold
    ("when: {sender: agent}", "when: {sender: []}",
     ["children.transcript.third_party.sender_name.when.sender lists no value"]),
    # one column declared twice: which declaration holds?
    ("third_party: [display_name]", "third_party: [display_name, {column: display_name}]",
     ["lookups.agent.third_party: column 'display_name' is declared twice"]),
    # the conditional form is typed: a mapping needs its column, and no other keys
    ("third_party: [display_name]", "third_party: [{when: {id: 1}}]",
     ["lookups.agent.third_party must be a column name, or a list of column names and "
      "{column: ..., when: {column: value}} mappings"]),
    ("third_party: [display_name]", "third_party: [{column: display_name, if: {id: 1}}]",
     ["lookups.agent.third_party must be a column name"]),
]


@pytest.mark.parametrize(("old", "new", "words"), DECLARATION_PROBLEMS)
def test_check_refuses_empty_labels_and_bad_third_party_declarations(fixed_copy, old, new,
                                                                     words):
    settings = _with_datamap(fixed_copy, old, new)
    with pytest.raises(DatamapError) as info:
        dw.open_workbench(settings)
    for w in words:
        assert w in str(info.value)


def test_the_demo_declares_agents_in_chats_as_third_parties_only_when_they_sent_it(
        fixed_template):
    with dw.open_workbench(fixed_template) as wb:
        transcript = next(c for c in wb.datamap.table("contact_events").children
                          if c.name == "transcript")
    assert transcript.third_parties({"sender": "agent", "sender_name": "Anna"}) == (
        "sender_name",)
    assert transcript.third_parties({"sender": "customer", "sender_name": "Eeva"}) == ()
    assert transcript.third_parties({"sender": None, "sender_name": "?"}) == ()
    assert transcript.third_party_words("sender_name") == "Sender's name when From is agent"
