"""The data subject's copy of a report (Art. 15(3) and 15(4) GDPR).

The copy handed to the person holds everything the DPO's report holds, except the
values of columns the datamap declares ``third_party`` (agents' names, other
participants of a chat), which read :data:`REDACTED` instead: the right to a copy
"shall not adversely affect the rights and freedoms of others". It also states what
was searched (the criteria with their values: it is the person's own copy), in
which installation, over which dates, and when the copy was made (UTC).

Free text (a message, a note, an e-mail body, a recording) can name other people
as well; no declaration can judge it, so the copy says that the DPO reviews it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..criteria import Criteria
from ..datamap.model import Labelled, TableSpec
from ..details import ChildFrames, Details, child_records

#: What the subject's copy shows instead of a third party's value.
REDACTED = "[third party: redacted]"
#: Why the copy leaves values out, and what no rule can do: its first lines.
NOTICE = ("This is the data subject's copy (Art. 15 GDPR). Values that are other people's "
          f"data (declared in the installation's datamap) read {REDACTED}.")
REVIEW_NOTE = ("Free text (messages, notes, e-mail bodies, call data) and files (recordings, "
               "attachments) may mention other people; no rule can judge that, so the Data "
               "Protection Officer reviews them before this copy is handed over.")


@dataclass(frozen=True)
class SubjectCopy:
    """What the subject's copy states besides the items: what was searched, and when.

    ``searched`` holds (name, label, value), the person's own values included;
    ``third_parties`` says, per table, which columns were redacted (and when);
    ``redacted`` counts the values redacted.
    """

    searched: tuple[tuple[str, str, str], ...]
    created_at_utc: str
    third_parties: tuple[str, ...]
    redacted: int

    def statement(self) -> list[tuple[str, str, str]]:
        """The copy's own lines: (field, label, value), as every report format gives them."""
        lines = [("copy", "Copy", NOTICE), ("review", "Review", REVIEW_NOTE),
                 ("created_at_utc", "Created at (UTC)", self.created_at_utc)]
        lines += [(f"searched_{name}", label, value) for name, label, value in self.searched]
        lines.append(("third_parties", "Redacted as other people's data",
                      "; ".join(self.third_parties) or "nothing is declared"))
        lines.append(("redacted", "Values redacted", str(self.redacted)))
        return lines


def searched_words(criteria: Criteria, installation: str) -> tuple[tuple[str, str, str], ...]:
    """What was searched, with the values: (name, label, value) for the subject's copy.

    >>> c = Criteria.parse(phone="+358 40 123 4567", start="2025-01-01")
    >>> searched_words(c, "Demo")  # doctest: +NORMALIZE_WHITESPACE
    (('installation', 'Installation searched', 'Demo'),
     ('phone', 'Phone number', "358401234567 (compared by the number's last 7 digits)"),
     ('dates', 'Dates', 'from 2025-01-01 to today'))
    """
    out = [("installation", "Installation searched", installation)]
    if criteria.email:
        out.append(("email", "E-mail address", f"{criteria.email} (any letter case)"))
    if criteria.phone:
        out.append(("phone", "Phone number", f"{criteria.phone} (compared by the number's "
                                              f"last {len(criteria.phone_tail or '')} digits)"))
    if criteria.first_name and criteria.last_name:
        out.append(("name", "Name", f"{criteria.first_name} {criteria.last_name}"))
    start = criteria.start.isoformat() if criteria.start else None
    end = criteria.end.isoformat() if criteria.end else None
    out.append(("dates", "Dates", f"from {start or 'the earliest'} to {end or 'today'}"
                if start or end else "any date"))
    return tuple(out)


def utc_text(when: datetime) -> str:
    """A time in UTC, ISO 8601 with ``Z`` (a naive time is taken as local time).

    >>> from datetime import timezone, timedelta
    >>> utc_text(datetime(2025, 6, 30, 15, 0, tzinfo=timezone(timedelta(hours=3))))
    '2025-06-30T12:00:00Z'
    """
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def declared_third_parties(specs: Sequence[TableSpec]) -> tuple[str, ...]:
    """Per table, lookup and child table: which columns the copy redacts, in words."""
    out = []
    for t in specs:
        parts: list[tuple[str, Labelled]] = [(t.title, t)]
        parts += [(f"{t.title}, {p.title}", p) for p in (*t.lookups, *t.children)]
        out += [f"{where}: {', '.join(p.third_party_words(c) for c in p.third_party)}"
                for where, p in parts if p.third_party]
    return tuple(dict.fromkeys(out))


def _redact(spec: Labelled, row: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """``row`` with its third parties' values replaced; how many were."""
    hidden = [c for c in spec.third_parties(row) if row.get(c) is not None]
    return {k: REDACTED if k in hidden else v for k, v in row.items()}, len(hidden)


def redact_details(spec: TableSpec, d: Details) -> tuple[Details, int]:
    """An item as the subject's copy has it; how many values were redacted.

    Parameters
    ----------
    spec : TableSpec
        The item's datamap table (its, its lookups' and its children's ``third_party``).
    d : Details
        The item as the DPO's report has it (left unchanged).

    Examples
    --------
    >>> spec = inst.datamap.table("contact_events")
    >>> d = wb.details(wb.search(phone="+358 40 123 4567").refs("contacts")[0])
    >>> copy, n = redact_details(spec, d)
    >>> copy.lookups["agent"]["display_name"], n >= 1
    ('[third party: redacted]', True)
    """
    fields, n = _redact(spec, d.fields)
    lookups = {}
    for lk in spec.lookups:
        if lk.name in d.lookups:
            lookups[lk.name], k = _redact(lk, d.lookups[lk.name])
            n += k
    rows: dict[str, list[dict[str, Any]]] = {}
    for ch in spec.children:
        rows[ch.name] = []
        for r in child_records(d, ch.name) if ch.name in d.children else ():
            redacted, k = _redact(ch, r)
            rows[ch.name].append(redacted)
            n += k
    return replace(d, fields=fields, lookups=lookups,
                   children=ChildFrames(spec.children, rows)), n

