"""Digits that fit the number's country: every format of every region's example numbers.

libphonenumber's example numbers for every region, each stored as E.164,
international, national and RFC 3966 text, are searched by E.164 with the default
digits: every format of every number is found on every engine, including the
national spellings of numbers shorter than seven digits (Faroe Islands, Greenland,
Andorra...), because the digits compared are capped at the national number's length.
"""

from __future__ import annotations

import textwrap
from contextlib import nullcontext
from pathlib import Path

import phonenumbers
import pytest
from conftest import require_engine
from dbservers import server_database
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

import dpo_workbench as dw
from dpo_workbench.phoneplans import NSN_LENGTHS, _generate, national_length

pytestmark = pytest.mark.engines

FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.RFC3966)


def _examples() -> list[phonenumbers.PhoneNumber]:
    out = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            n = phonenumbers.example_number_for_type(region, kind)
            if n is not None:
                out[phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)] = n
    return list(out.values())


def test_the_numbering_plan_table_is_libphonenumbers():
    assert repr(NSN_LENGTHS) == _generate(), \
        "dpo_workbench/phoneplans.py is out of date: python -m dpo_workbench.phoneplans"


def test_the_national_number_length_of_every_example_number():
    for n in _examples():
        e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        assert national_length(e164[1:]) == len(phonenumbers.national_significant_number(n))


def test_the_cap_is_said_in_words(tmp_path):
    c = dw.Criteria.parse(phone="+298 211234")
    assert (c.phone_tail, c.capped) == ("211234", True)
    assert "last 6 digits (its national number's length)" in c.describe()
    assert not dw.Criteria.parse(phone="211234").capped  # no country code: nothing to cap


def test_every_format_of_every_regions_example_number_is_found(tmp_path: Path, engine: str):
    require_engine(engine)
    numbers = _examples()
    assert len(numbers) > 400
    # ids from 1: MariaDB takes an id of 0 for "the next one"
    rows = [{"id": i * 4 + j + 1, "number": phonenumbers.format_number(n, f), "n": i}
            for i, n in enumerate(numbers) for j, f in enumerate(FORMATS)]
    local = nullcontext(f"sqlite:///{tmp_path}/calls.sqlite")
    with server_database(engine, prefix="dpo_plan") if engine != "sqlite" else local as url:
        db = create_engine(url)
        md = MetaData()
        t = Table("calls", md, Column("id", Integer, primary_key=True),
                  Column("number", String(60)), Column("n", Integer),
                  mysql_engine="InnoDB", mysql_charset="utf8mb4")
        md.create_all(db)
        with db.begin() as conn:
            conn.execute(insert(t), rows)
        db.dispose()
        settings = tmp_path / "w.yaml"
        (tmp_path / "dm.yaml").write_text(textwrap.dedent("""
            version: 1
            tables:
              calls: {database: calls, table: calls, group: consents, key: id,
                      match: {phone: number}, show: [number, n], erase: {row: delete}}
            """), encoding="utf-8")
        settings.write_text(f"datamap: dm.yaml\ndatabases: {{calls: '{url}'}}\n",
                            encoding="utf-8")
        missed = []
        with dw.open_workbench(settings, user="test") as wb:
            wb.create_indexes()
            for i, n in enumerate(numbers):
                e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
                found = set(wb.search(phone=e164).consents["_key"])
                missed += [rows[i * 4 + j]["number"] for j in range(4)
                           if i * 4 + j + 1 not in found]
    assert missed == []
