"""A brute-force Python oracle of the search: read every row, apply the rules in Python.

It shares nothing with the SQL path but the documented rules, so a search that
disagrees with it has a false positive or a false negative.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import select

from dpo_workbench import timespan
from dpo_workbench.criteria import Criteria
from dpo_workbench.matchkinds import phone_matches
from dpo_workbench.normalize import email_address, idna_forms, same_letters, strip_space


def _fold(value: str) -> str:
    """Letter case folded one letter at a time (the documented rule), in NFC."""
    return "".join(min(same_letters(c)) for c in unicodedata.normalize("NFC", value).lower())


def _same_text(stored: Any, searched: str) -> bool:
    return isinstance(stored, str) and _fold(strip_space(stored)) == _fold(strip_space(searched))


def _same_address(stored: Any, searched: str) -> bool:
    return isinstance(stored, str) and any(
        _fold(email_address(stored)) == _fold(form) for form in idna_forms(searched))


def row_matches(spec: Any, row: dict[str, Any], c: Criteria) -> bool:
    allowed = spec.group.criteria
    if c.phone and "phone" in allowed and any(
            phone_matches(row[col], c.phone, len(c.phone_tail or "")) for col in spec.phone):
        return True
    if c.email and "email" in allowed and any(_same_address(row[col], c.email)
                                              for col in spec.email):
        return True
    return bool(c.has_name and "name" in allowed and spec.name
                and _same_text(row[spec.name.first], c.first_name or "")
                and _same_text(row[spec.name.last], c.last_name or ""))


def in_span(spec: Any, row: dict[str, Any], c: Criteria, fmt: str | None) -> bool:
    if not spec.time or not (c.start or c.end):
        return True
    return timespan.in_span(row[spec.time], fmt or "native", c)


def expected_items(wb: Any, c: Criteria) -> set[tuple[str, str, Any]]:
    """The (database, table, key) of every item the search must return."""
    matched: dict[str, set[Any]] = {}
    for spec in wb.datamap.tables:
        table = wb.installation.table(spec.database, spec.table)
        cols = [spec.key, *spec.match_columns] + ([spec.time] if spec.time else [])
        with wb.installation.connect(spec.database) as conn:
            rows = conn.execute(select(*[table.c[x] for x in dict.fromkeys(cols)])).mappings()
            fmt = wb.installation.time_format(spec)
            matched[spec.id] = {r[spec.key] for r in rows if row_matches(spec, dict(r), c)
                                and in_span(spec, dict(r), c, fmt)}
    items = set()
    for spec in wb.datamap.tables:
        if spec.copy_of is None:
            items |= {(spec.database, spec.table, k) for k in matched[spec.id]}
        else:
            originals = matched[spec.copy_of]
            items |= {(spec.database, spec.table, k) for k in matched[spec.id] - originals}
    return items


def found_items(result: Any) -> set[tuple[str, str, Any]]:
    return {(r.database, r.table, r.key) for r in result.refs()}
