"""Identity hints: other identifiers of the person that the found items carry.

A directory entry found by one number may hold a second number; a chat found by
phone may mention the person's e-mail address. These are **suggestions** for the
DPO to add to the search, never added silently: :class:`Hint` says what was seen
and where (``database.table#key column``), and the DPO decides.

:func:`column_hints` reads only what the search fetched (the other match
columns of the found rows); :func:`text_hints` also reads the found items'
identifying columns and child rows (free text: bodies, transcripts, notes), in
batches.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .criteria import Criteria
from .datamap import TableSpec
from .installation import Installation
from .matchkinds import MATCH_KINDS
from .normalize import email_address, strip_separators, strip_space
from .phoneplans import national_length
from .selection import RowRef

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A number written as people write phone numbers: with its country code (+, 00),
# a trunk prefix (0) or an area code in parentheses; ids, dates and amounts are not.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\(0?\d|0)[\d \-./()\u00a0]{5,22}\d(?!\w)")
#: Fewer digits than this in a phone-like text is a date, an amount or an id.
MIN_PHONE_DIGITS = 7
#: Items whose free text :func:`text_hints` reads at most.
MAX_ITEMS = 500
_UNSEEN: Any = object()


@dataclass(frozen=True)
class Hint:
    """An identifier seen in the found items, and where (at most a few places)."""

    kind: str  # "phone" or "email"
    value: str  # as written the first time it was seen, without surrounding space
    places: tuple[str, ...] = field(default=())  # "database.table#key column"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "places": list(self.places)}


class _Collect:
    """Hints by normalised value, the searched identifiers left out."""

    def __init__(self, criteria: Criteria):
        self.criteria = criteria
        self.found: dict[tuple[str, str], tuple[str, list[str]]] = {}
        # (kind, value as stored) -> its hint's key and shown value, or None when it
        # gives none: a large result repeats the same few numbers thousands of times.
        self._seen: dict[tuple[str, str], tuple[tuple[str, str], str] | None] = {}

    def add(self, kind: str, value: str, place: str | Callable[[], str]) -> None:
        """Note ``value`` seen at ``place`` (a callable: made only when the place is kept)."""
        seen = self._seen.get((kind, value), _UNSEEN)
        if seen is _UNSEEN:  # a value seen the first time (most, in a large result)
            seen = self._seen[kind, value] = self._normalise(kind, value)
        if seen is None:
            return
        key, shown = seen
        hint = self.found.get(key)
        if hint is None:
            hint = self.found[key] = (shown, [])
        places = hint[1]
        if len(places) < 5:
            where = place() if callable(place) else place
            if where not in places:
                places.append(where)

    def _normalise(self, kind: str, value: str) -> tuple[tuple[str, str], str] | None:
        """The key of the hint a stored value gives (its normalised form) and the value as
        shown; None when it gives none."""
        value = strip_space(value)
        if kind == "email":
            value = email_address(value)
        match = MATCH_KINDS[kind]
        # First the searched identifier itself: in a large result most values are it.
        if not value or (match.given(self.criteria) and match.matches([value], self.criteria)):
            return None
        if kind == "email":
            norm = value.casefold()
        else:
            norm = _national(value)
            if len(norm) < MIN_PHONE_DIGITS or not norm.isdigit():
                return None
        return (kind, norm), value

    def text(self, text: str, place: str) -> None:
        for m in _EMAIL.finditer(text):
            self.add("email", m.group(0), place)
        for m in _PHONE.finditer(text):
            self.add("phone", m.group(0), place)

    def hints(self) -> list[Hint]:
        return [Hint(kind, value, tuple(places))
                for (kind, _), (value, places) in sorted(self.found.items())]


def column_hints(criteria: Criteria,
                 tables: Iterable[tuple[TableSpec, Sequence[Any], Mapping[str, Any]]],
                 known: Mapping[str, Mapping[tuple[Any, ...], bool]] | None = None,
                 ) -> list[Hint]:
    """Hints from fetched rows: ``(table, rows, places)`` per table searched.

    ``places`` gives each fetched column's place in a row: its position in a tuple
    (or its name in a mapping). The table's phone and e-mail columns are read.
    ``known`` tells, per match kind, the stored values already found to match the
    criteria (:func:`.query.match_words`): the searched identifier, never a hint.
    """
    collect = _Collect(criteria)
    known = known or {}
    for spec, rows, at in tables:
        named = [(kind, name, at[name]) for kind in ("phone", "email")
                 for (name,) in spec.match.get(kind, ())]
        if not named:
            continue
        key_at = at[spec.key]
        seen = collect._seen
        matched = {kind: known.get(kind, {}) for kind in ("phone", "email")}
        for row in rows:
            for kind, name, i in named:
                value = row[i]
                # most values are the searched identifier itself, known to give no hint
                if isinstance(value, str) and not matched[kind].get((value,)) \
                        and seen.get((kind, value), _UNSEEN) is not None:
                    collect.add(kind, value, functools.partial(_place, spec, row[key_at], name))
    return collect.hints()


def _place(spec: TableSpec, key: Any, column: str) -> str:
    """Where a hint was seen: ``database.table#key column``."""
    return f"{RowRef(spec.database, spec.table, key)} {column}"


def text_hints(inst: Installation, criteria: Criteria, refs: Sequence[RowRef]) -> list[Hint]:
    """Hints from the found items' identifying columns and child rows (free text too).

    Reads at most :data:`MAX_ITEMS` items, in batches.
    """
    collect = _Collect(criteria)
    from .details import gather_details  # reading free text: only when asked

    for d in gather_details(inst, list(refs)[:MAX_ITEMS]):
        spec = inst.spec_of(d.ref)
        for kind in ("phone", "email"):
            for (name,) in spec.match.get(kind, ()):
                value = d.fields.get(name)
                if isinstance(value, str) and value.strip():
                    collect.add(kind, value, f"{d.ref} {name}")
        for name in spec.identifying:
            value = d.fields.get(name)
            if isinstance(value, str):
                collect.text(value, f"{d.ref} {name}")
        for child in spec.children:
            for row in _child_rows(d.children, child.name):
                for name in child.identifying:
                    value = row.get(name)
                    if isinstance(value, str):
                        collect.text(value, f"{child.database}.{child.table}#{row.get(child.key)}"
                                            f" {name}")
    return collect.hints()


def _national(number: str) -> str:
    """A number's national digits, so that its spellings count as one hint.

    >>> _national("+358 40 123 4567"), _national("040 123 45 67")
    ('401234567', '401234567')
    """
    digits = strip_separators(strip_space(number))
    international = number.strip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    length = national_length(digits) if international and digits.isdigit() else None
    return digits[-length:] if length else digits.lstrip("0")


def _child_rows(children: Any, name: str) -> list[dict[str, Any]]:
    """The rows of one child table of an item (gathered details keep them unframed)."""
    if hasattr(children, "rows"):
        return list(children.rows(name))
    return list(children[name].to_dict(orient="records"))


def merge(*lists: Iterable[Hint]) -> list[Hint]:
    """One hint per identifier, places joined (the first spelling kept)."""
    out: dict[tuple[str, str], Hint] = {}
    for hints in lists:
        for h in hints:
            key = (h.kind, h.value.casefold() if h.kind == "email" else _national(h.value))
            old = out.get(key)
            places = (old.places if old else ()) + tuple(p for p in h.places
                                                          if not old or p not in old.places)
            out[key] = Hint(h.kind, old.value if old else h.value, places[:5])
    return list(out.values())
