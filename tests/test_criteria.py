"""The product's criteria rules: validation and normalisation before any query."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dpo_workbench.criteria import Criteria
from dpo_workbench.errors import InvalidCriteria
from dpo_workbench.matchkinds import phone_matches
from dpo_workbench.normalize import case_variants, strip_separators

# (input fields, expected normalised attributes)
VALID = [
    # separators of every kind are removed from a phone number
    ({"phone": "+358 (0)40-123\u00a04567"}, {"phone": "3580401234567"}),
    ({"phone": "040.123/4567"}, {"phone": "0401234567"}),
    # the minimum: three digits
    ({"phone": "123"}, {"phone": "123", "phone_tail": "123"}),
    # a searched number shorter than "digits" is compared whole
    ({"phone": "12345", "digits": 7}, {"phone_tail": "12345"}),
    ({"phone": "0401234567", "digits": "9"}, {"phone_tail": "401234567", "digits": 9}),
    # e-mail: trimmed, Unicode NFC, letter case kept (matching ignores it)
    ({"email": "  Zoe\u0308.Mu\u0308ller@Example.DE "}, {"email": "Zoë.Müller@Example.DE"}),
    # names: both, trimmed, inner whitespace collapsed
    ({"first_name": " Aino ", "last_name": "Järvinen  "},
     {"first_name": "Aino", "last_name": "Järvinen", "has_name": True}),
    ({"first_name": "Anna  Maria", "last_name": "Berg"}, {"first_name": "Anna Maria"}),
    # dates as text or date objects; either end may be open
    ({"email": "a@b.fi", "start": "2025-01-01"}, {"start": date(2025, 1, 1), "end": None}),
    ({"email": "a@b.fi", "end": date(2025, 2, 1)},
     {"end_before": datetime(2025, 2, 2), "start_at": None}),
    ({"email": "a@b.fi", "start": "2025-03-01", "end": "2025-03-01"},
     {"start_at": datetime(2025, 3, 1), "end_before": datetime(2025, 3, 2)}),
    # empty strings count as not given
    ({"email": "a@b.fi", "phone": "  ", "first_name": "", "start": ""},
     {"phone": None, "first_name": None, "start": None}),
]


@pytest.mark.parametrize(("fields", "expected"), VALID)
def test_valid_criteria_are_normalised(fields, expected):
    c = Criteria.parse(**fields)
    for attr, value in expected.items():
        assert getattr(c, attr) == value, attr


# (input fields, the field the problem is reported on)
INVALID = [
    ({}, "criteria"),  # nothing to search for
    ({"start": "2025-01-01"}, "criteria"),  # a date span alone finds nobody
    ({"email": "not-an-address"}, "email"),
    ({"email": "two@at@example.com"}, "email"),
    ({"email": "a@localhost"}, "email"),  # a domain needs a dot
    ({"email": "a b@example.com"}, "email"),
    ({"phone": "12"}, "phone"),  # fewer than 3 digits
    ({"phone": "040 123 ABC"}, "phone"),  # letters
    ({"phone": "+358 40 123 4567 ext. 12"}, "phone"),
    ({"phone": "١٢٣٤٥"}, "phone"),  # non-ASCII digits are not phone digits here
    ({"phone": "0401234567", "digits": 2}, "digits"),
    ({"phone": "0401234567", "digits": "seven"}, "digits"),
    ({"phone": "0401234567", "digits": 21}, "digits"),
    ({"first_name": "Aino"}, "last_name"),  # both names or neither
    ({"last_name": "Järvinen"}, "first_name"),
    ({"email": "a@b.fi", "start": "31.12.2025"}, "start"),
    ({"email": "a@b.fi", "end": "2025-02-30"}, "end"),
    ({"email": "a@b.fi", "start": "2025-03-02", "end": "2025-03-01"}, "end"),
]


@pytest.mark.parametrize(("fields", "field"), INVALID)
def test_invalid_criteria_raise_one_error_naming_the_field(fields, field):
    with pytest.raises(InvalidCriteria) as info:
        Criteria.parse(**fields)
    assert field in info.value.problems
    assert info.value.problems[field].endswith(".")


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(InvalidCriteria) as info:
        Criteria.parse(email="x", phone="1", first_name="A", start="soon")
    assert set(info.value.problems) == {"email", "phone", "last_name", "start"}


def test_error_messages_and_repr_never_contain_the_searched_values():
    secret_email, secret_phone = "secret.person@example.com", "+358 40 765 4321"
    with pytest.raises(InvalidCriteria) as info:
        Criteria.parse(email=secret_email + "@", phone=secret_phone + " x")
    assert "secret" not in str(info.value) and "765" not in str(info.value)
    c = Criteria.parse(email=secret_email, phone=secret_phone, first_name="Salla",
                       last_name="Salainen")
    for text in (repr(c), str(c), c.describe()):
        assert "secret" not in text and "4321" not in text and "Salla" not in text


def test_directly_built_criteria_are_validated_when_used():
    with pytest.raises(InvalidCriteria):
        Criteria(phone="12").validated()


def test_fingerprint_is_keyed_and_ignores_letter_case():
    a = Criteria.parse(email="Aino@Example.fi")
    b = Criteria.parse(email="aino@example.fi")
    assert a.fingerprint(b"k1") == b.fingerprint(b"k1")
    assert a.fingerprint(b"k1") != a.fingerprint(b"k2")
    assert "aino" not in a.fingerprint(b"k1")


# (stored value, searched digits, digits used, match?)
PHONE_CASES = [
    ("+358 40 123 4567", "0401234567", 7, True),  # international vs national spelling
    ("00358401234567", "0401234567", 9, True),
    ("00358401234567", "0401234567", 10, False),  # 10 digits include the trunk 0
    ("(040) 1234567", "401234567", 7, True),
    ("040\u2013123\u00a04567", "4567", 4, True),  # en dash and no-break space
    ("unknown", "1234567", 7, False),
    ("", "123", 3, False),
    ("4567", "1234567", 7, False),  # a stored number shorter than N digits never matches
    ("4567", "4567", 7, True),  # unless the searched number is as short
    ("040 123 4567 ext 12", "0401234567", 7, False),  # trailing text is not a separator
]


@pytest.mark.parametrize(("stored", "searched", "n", "expected"), PHONE_CASES)
def test_reference_phone_semantics(stored, searched, n, expected):
    assert phone_matches(stored, searched, n) is expected


def test_strip_separators_keeps_everything_else():
    assert strip_separators("a-b c") == "abc"
    assert strip_separators("١٢٣") == "١٢٣"


def test_case_variants_cover_every_engines_lower():
    variants = set(case_variants("ZOË.MÜLLER@EXAMPLE.DE"))
    # SQLite folds ASCII only: the stored upper-case umlauts stay
    assert "zoË.mÜller@example.de" in variants
    # PostgreSQL/MariaDB fold everything
    assert "zoë.müller@example.de" in variants
    # decomposed spelling (NFD) of the same address
    assert "zoe\u0308.mu\u0308ller@example.de" in variants
    assert len(case_variants("x" * 5 + "ÄÖÅÜËÏÉÈÀ@x.fi")) <= 3  # too many: lower, upper, NFD


def test_an_end_date_whose_next_day_does_not_exist_searches(tmp_path):
    """9999-12-31 crashed the search (OverflowError); it now means no upper bound."""
    from fixed_install import EMAIL, build_fixed_install

    import dpo_workbench as dw

    c = Criteria.parse(email="a@b.fi", start="2025-01-01", end="9999-12-31")
    assert c.end_before is None and c.start_at is not None
    settings = build_fixed_install(tmp_path / "install")
    with dw.open_workbench(settings, user="test") as wb:
        unbounded = wb.search(wb.criteria(email=EMAIL, end="9999-12-31"))
        plain = wb.search(wb.criteria(email=EMAIL))
    assert unbounded.total == plain.total > 0
