"""Identity hints: other identifiers of the person in the found items, suggested, never searched."""

from __future__ import annotations

import json
import sqlite3

from fixed_install import EMAIL, PHONE, build_fixed_install

import dpo_workbench as dw
from dpo_workbench.cli import main


def test_a_phone_search_suggests_the_address_the_found_items_carry(tmp_path, capsys):
    settings = build_fixed_install(tmp_path / "i")
    # A second number on the directory entry, and the address mentioned in a note.
    con = sqlite3.connect(tmp_path / "i" / "directory.sqlite")
    con.execute("UPDATE directory_entries SET phone_home = '+358 9 555 1212' WHERE id = 11")
    con.commit()
    con.close()
    con = sqlite3.connect(tmp_path / "i" / "operative.sqlite")
    con.execute("UPDATE contact_notes SET note_text = 'asked to write to "
                f"{EMAIL.upper()} instead' WHERE contact_id = 101")
    con.commit()
    con.close()
    with dw.open_workbench(settings) as wb:
        result = wb.search(phone=PHONE)
        cheap = {(h.kind, h.value) for h in result.hints}
        assert ("phone", "+358 9 555 1212") in cheap  # from the fetched match columns
        assert all(h.value != PHONE for h in result.hints)  # never the searched one
        deep = wb.identity_hints(result)
        email = [h for h in deep if h.kind == "email"]
        assert [h.value.casefold() for h in email] == [EMAIL]
        assert any("contact_notes" in p and "note_text" in p for p in email[0].places)
        # never added silently: the search itself did not change
        assert wb.search(phone=PHONE).counts() == result.counts()
    assert main(["search", "-c", str(settings), "--phone", PHONE, "--hints",
                 "--format", "json"]) == 0
    kinds = {h["kind"] for h in json.loads(capsys.readouterr().out)["hints"]}
    assert kinds == {"phone", "email"}
    assert main(["search", "-c", str(settings), "--phone", PHONE, "--hints"]) == 0
    assert "Other identifiers in the found items" in capsys.readouterr().out


def test_ids_dates_and_amounts_are_not_taken_for_numbers():
    from dpo_workbench.hints import _Collect

    collect = _Collect(dw.Criteria.parse(email=EMAIL))
    collect.text("case 2024-000000, invoice 12 345,50 EUR, ticket 9876543, "
                 "call me on 040 765 4321", "x")
    assert [(h.kind, h.value) for h in collect.hints()] == [("phone", "040 765 4321")]


def test_a_result_of_too_many_items_gets_no_hints(tmp_path):
    # Too many items are mostly other people's: their numbers and addresses are no
    # hint to this person's (a 3-digit search of a large installation used to list
    # thousands of them).
    settings = build_fixed_install(tmp_path / "i")
    con = sqlite3.connect(tmp_path / "i" / "directory.sqlite")
    con.execute("UPDATE directory_entries SET phone_home = '+358 9 555 1212' WHERE id = 11")
    con.commit()
    con.close()
    with dw.open_workbench(settings) as wb:
        result = wb.search(phone=PHONE)
        assert not result.too_many and result.hints
        total = result.total
    settings.write_text(settings.read_text(encoding="utf-8")
                        + f"search: {{too_many: {total - 1}}}\n", encoding="utf-8")
    with dw.open_workbench(settings) as wb:
        crowded = wb.search(phone=PHONE)
        assert crowded.too_many and crowded.total == total
        assert crowded.hints == ()
        assert "No identity hints are collected" in crowded._repr_html_()
