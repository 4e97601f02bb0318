"""The erasure plan, its receipt, ``details`` and the command line speak the datamap's labels.

Finding: "operative.contact_events#10386", ``remote_number`` and "copies in
monitoring1.contact_events" everywhere; the plan and the receipt read like SQL.
Each now names a table by its label ("Contact") and a column by its label ("Phone
number") with the technical name beside it, and JSON keeps its technical keys.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from fixed_install import EMAIL, PHONE

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.erasure.plan import ErasurePlan
from dpo_workbench.selection import RowRef, Selection


@pytest.fixture
def install(fixed_copy: Path) -> Path:
    return fixed_copy


def test_plan_and_receipt_speak_labels_not_table_names(install):
    with dw.open_workbench(install) as wb:
        result = wb.search(phone=PHONE, email=EMAIL)
        plan = wb.plan_erasure(Selection.all(result), criteria=result.criteria)
        text = plan.describe()
        html = plan._repr_html_()
        frame = plan.to_frame()
        receipt = wb.erase(plan, plan.token, criteria=result.criteria)
    lines = text.splitlines()
    assert "  - Notes (contact_notes): anonymize 1 row: Note (note_text) replaced with " \
           "{Anonymized by DPO}" in lines
    assert any(line.startswith("  - Contact (contact_events): anonymize 2 rows: Phone number "
                               "(remote_number), E-mail address (remote_address)")
               for line in lines)
    assert "  - Contact (monitoring copy) (contact_events): anonymize 1 row: Phone number " \
           "(remote_number)" in text
    assert "Database monitoring1:" in lines
    assert "Phone number (remote_number)" in html and "Contact (monitoring copy)" in html
    contact = frame[frame["step"] == "contact_events"].iloc[0]
    assert contact["table_label"] == "Contact" and contact["table"] == "contact_events"
    assert contact["columns_labelled"].startswith("redact: Phone number (remote_number)")
    assert contact["columns"].startswith("redact: remote_number")  # the technical form stays
    summary = receipt.summary()
    assert "  - Contact (operative.contact_events): 2 anonymized" in summary
    assert "  - Contact (monitoring copy) (monitoring1.contact_events): 1 anonymized" in summary
    rows = receipt.to_frame()
    assert rows.loc[rows["table"] == "contact_notes", "table_label"].tolist() == ["Notes"]
    assert "Directory entry" in receipt._repr_html_()


def test_the_token_does_not_depend_on_labels_and_a_stored_plan_keeps_them(install):
    with dw.open_workbench(install) as wb:
        plan = wb.plan_erasure(wb.search(phone=PHONE).refs("consents"))
    # relabelling changes no row: the same token
    unlabelled = replace(plan, targets=tuple(replace(t, title="", column_titles={})
                                             for t in plan.targets))
    assert unlabelled.token == plan.token
    # the journal keeps the labels: a resumed run still speaks them
    stored = ErasurePlan.from_json(json.loads(json.dumps(plan.to_json(), default=str)))
    assert stored.describe() == plan.describe() and stored.token == plan.token
    # a plan stored before plans had labels reads as before
    old = plan.to_json(titles=False)
    assert "  - customer_consents: delete 2 rows" in ErasurePlan.from_json(old).describe()


def test_the_command_line_speaks_labels_and_json_adds_them(install, capsys):
    assert main(["erase", "-c", str(install), "--phone", PHONE]) == 0
    out = capsys.readouterr().out
    assert "  - Consent (customer_consents): delete 2 rows" in out
    assert main(["erase", "-c", str(install), "--phone", PHONE, "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    contact = next(t for t in plan["targets"] if t["label"] == "contact_events")
    assert (contact["table"], contact["table_label"]) == ("contact_events", "Contact")
    assert contact["columns"]["remote_number"] == "redact"  # technical keys kept
    assert contact["column_labels"]["remote_number"] == "Phone number"
    item = "operative.contact_events#101"
    assert main(["details", "-c", str(install), item]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Contacts: Contact {item}\n")
    assert "  Phone number (remote_number): +358 40 765 4321\n" in text
    assert "  Agent: Agent (display_name)=Anna Agent\n" in text
    assert main(["details", "-c", str(install), item, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["fields"]["remote_number"] == "+358 40 765 4321"
    assert doc["table_label"] == "Contact"
    assert doc["labels"]["fields"]["remote_number"] == "Phone number"
    assert doc["labels"]["children"]["notes"]["label"] == "Notes"
    assert main(["erase", "-c", str(install), "--phone", PHONE, "--confirm",
                 plan["token"]]) in (0, 6)


def test_details_of_a_row_made_by_hand_read_as_before():
    from dpo_workbench.details import Details

    d = Details(ref=RowRef("crm", "people", 1), table_id="people", group_title="Contacts",
                fields={"given_name": "Eeva"}, lookups={}, children={}, files=())
    assert d.as_text() == "Contacts: People crm.people#1\n  Given name: Eeva"
