"""Assembling a search's rows into records: the shortcuts give what the plain rules give.

A large result is assembled with shortcuts (rows ordered by one key when they allow
it, each match checked once per stored value); these tests hold them to the rules
they stand for, on rows made up for the purpose.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from dpo_workbench.criteria import Criteria
from dpo_workbench.matchkinds import MATCH_KINDS
from dpo_workbench.query import MatchTerm, match_words
from dpo_workbench.search import _newest_first


def _rule(rows: list[dict[str, Any]], time_column: str | None,
          key_column: str) -> list[dict[str, Any]]:
    """Newest first, rows without a time last, then by key (its type's name first)."""
    out = sorted(rows, key=lambda r: (type(r[key_column]).__name__, r[key_column]))
    if time_column:
        out.sort(key=lambda r: (r.get(time_column) is not None, r.get(time_column) or ""),
                 reverse=True)
    return out


@pytest.mark.parametrize("seed", range(24))
def test_rows_are_ordered_newest_first_then_by_key(seed):
    rng = random.Random(seed)
    keys: list[Any] = rng.sample(range(10_000), 60)
    if seed % 3 == 0:  # SQLite may hold text keys beside whole numbers
        keys[::7] = [f"k{k}" for k in keys[::7]]
    days = [f"2025-0{m}-1{d}" for m in range(1, 4) for d in range(3)]  # many rows per day
    undated = seed % 2 == 0
    rows = [{"k": k, "t": None if undated and rng.random() < 0.2 else rng.choice(days)}
            for k in keys]
    assert _newest_first(rows, "t", "k") == _rule(rows, "t", "k")
    assert _newest_first(rows, None, "k") == _rule(rows, None, "k")
    as_tuples = [(r["k"], r["t"]) for r in rows]
    assert _newest_first(as_tuples, 1, 0) == [(r["k"], r["t"]) for r in _rule(rows, "t", "k")]


def test_match_words_are_those_of_the_terms_each_row_satisfies():
    criteria = Criteria.parse(phone="040 123 4567", email="aino@example.fi")
    terms = (MatchTerm(MATCH_KINDS["phone"], ("number",)),
             MatchTerm(MATCH_KINDS["email"], ("address",)))
    rows = [{"number": "040-123 4567", "address": "other@example.fi"},
            {"number": "040 765 4321", "address": "AINO@example.fi"},
            {"number": "0401234567", "address": "Aino <aino@example.fi>"},
            {"number": None, "address": None},
            {"number": ["not", "text"], "address": "aino@example.fi"}] * 3
    places = {"number": 0, "address": 1}
    as_tuples = match_words(terms, criteria, places)
    as_mappings = match_words(terms, criteria, {c: c for c in places})
    for r in rows:
        satisfied = [t for t in terms if t.matches(r, criteria)]
        words = ("; ".join(t.reason(criteria) for t in satisfied),
                 ";".join(t.criterion for t in satisfied),
                 ";".join(",".join(t.columns) for t in satisfied))
        assert as_mappings(r) == as_tuples((r["number"], r["address"])) == words


@pytest.mark.parametrize("kind, column, values", [
    ("phone", "number", ["040-123 4567", "+358 40 123 4567", "0401234567"]),
    ("email", "address", ["AINO@example.fi", " aino@example.fi", "Aino <aino@example.fi>"]),
])
def test_rows_found_by_a_single_term_get_its_words_unchecked(kind, column, values):
    # The database found these rows by this one term: each satisfies it, so the words
    # are the term's without checking the row again, and the values are noted as
    # matching for the identity hints, as a check would have noted them.
    criteria = Criteria.parse(phone="040 123 4567", email="aino@example.fi")
    term = MatchTerm(MATCH_KINDS[kind], (column,))
    checked_known: dict[str, dict[tuple[Any, ...], bool]] = {}
    answered_known: dict[str, dict[tuple[Any, ...], bool]] = {}
    checked = match_words([term], criteria, {column: 0}, checked_known)
    answered = match_words([term], criteria, {column: 0}, answered_known, answered=True)
    for value in values:
        assert answered((value,)) == checked((value,)) == (
            term.reason(criteria), kind, column)
    assert answered_known == checked_known == {kind: {(v,): True for v in values}}
    assert answered((["not", "text"],)) == answered((values[0],))  # unhashable: still shown
