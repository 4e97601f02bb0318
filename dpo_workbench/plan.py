"""The query plan: one SQLAlchemy Core ``select()`` per datamap table.

Statements carry the criteria as bound parameters only. :meth:`QueryPlan.explain`
says in plain words what will be searched where, without the searched values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, Table, or_, select

from .criteria import Criteria, phone_matches
from .datamap import Datamap, Group, TableSpec
from .matching import (
    ascii_lower,
    case_variants,
    email_condition,
    name_condition,
    phone_condition,
    unindexed,
)


@dataclass(frozen=True)
class MatchTerm:
    """One way a row of a table can match: a criterion on one column (or a name pair)."""

    criterion: str  # phone, email, name
    columns: tuple[str, ...]

    def words(self, criteria: Criteria) -> str:
        """The term in words, without the searched value."""
        cols = " and ".join(self.columns)
        if self.criterion == "phone":
            return f"{cols} ends with the last {len(criteria.phone_tail or '')} digits"
        if self.criterion == "email":
            return f"{cols} equals the e-mail address (any letter case)"
        return f"{cols} equal the first and last name (any letter case)"

    def reason(self, criteria: Criteria) -> str:
        """The match reason shown with a row, e.g. ``phone ends 1234567 in remote_number``."""
        if self.criterion == "phone":
            return f"phone ends {criteria.phone_tail} in {self.columns[0]}"
        if self.criterion == "email":
            return f"e-mail in {self.columns[0]}"
        return f"name in {', '.join(self.columns)}"


@dataclass(frozen=True)
class TableQuery:
    """The select of one datamap table, and the terms it matches."""

    spec: TableSpec
    statement: Select
    terms: tuple[MatchTerm, ...]
    dialect: str

    def sql(self) -> str:
        """The statement as the engine will receive it, with placeholders for values."""
        from sqlalchemy.dialects import mysql, postgresql, sqlite

        dialects = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(),
                    "mysql": mysql.dialect(), "mariadb": mysql.dialect()}
        return str(self.statement.compile(dialect=dialects.get(self.dialect, sqlite.dialect())))


@dataclass(frozen=True)
class QueryPlan:
    """What a search will run: one :class:`TableQuery` per table that can match."""

    criteria: Criteria
    queries: tuple[TableQuery, ...]
    skipped: tuple[tuple[TableSpec, str], ...]  # tables not searched, with the reason

    def explain(self) -> str:
        """Say in plain words what will be searched where.

        Examples
        --------
        The demo's plan for a phone search starts like this::

            Search for: the phone number's last 7 digits
            Contacts
              - operative.contact_events: remote_number ends with the last 7 digits
        """
        lines = [f"Search for: {self.criteria.describe()}"]
        for group in Group:
            queries = [q for q in self.queries if q.spec.group is group]
            skipped = [(t, why) for t, why in self.skipped if t.group is group]
            if not queries and not skipped:
                continue
            lines.append(group.title)
            for q in queries:
                terms = "; or ".join(t.words(self.criteria) for t in q.terms)
                span = ""
                if q.spec.time and (self.criteria.start or self.criteria.end):
                    span = f"; only rows whose {q.spec.time} is in the date span"
                copy = f" (copies of {q.spec.copy_of})" if q.spec.copy_of else ""
                lines.append(f"  - {q.spec.location}{copy}: {terms}{span}")
            for t, why in skipped:
                lines.append(f"  - {t.location}: not searched ({why})")
        return "\n".join(lines)


def _terms(spec: TableSpec, criteria: Criteria) -> tuple[list[MatchTerm], str | None]:
    wanted = criteria.kinds
    usable = wanted & spec.criteria
    terms: list[MatchTerm] = []
    if "phone" in usable:
        terms += [MatchTerm("phone", (c,)) for c in spec.phone]
    if "email" in usable:
        terms += [MatchTerm("email", (c,)) for c in spec.email]
    if "name" in usable and spec.name:
        terms.append(MatchTerm("name", (spec.name.first, spec.name.last)))
    if terms:
        return terms, None
    rule = {"name": "a name", "email": "an e-mail address", "phone": "a phone number"}
    given = " or ".join(rule[w] for w in sorted(wanted))
    if wanted - spec.group.criteria:
        return [], f"{spec.group.title} are not found by {given}"
    return [], f"it declares no column for {given}"


def build_plan(datamap: Datamap, schema: Mapping[str, Mapping[str, Table]],
               dialects: Mapping[str, str], criteria: Criteria) -> QueryPlan:
    """Build the selects of a search.

    ``schema`` holds the reflected tables per logical database and ``dialects``
    each database's dialect name (the match expressions differ per engine).
    """
    email_variants = case_variants(criteria.email) if criteria.email else ()
    first_variants = case_variants(criteria.first_name) if criteria.first_name else ()
    last_variants = case_variants(criteria.last_name) if criteria.last_name else ()
    queries: list[TableQuery] = []
    skipped: list[tuple[TableSpec, str]] = []
    for spec in datamap.tables:
        terms, why = _terms(spec, criteria)
        if not terms:
            skipped.append((spec, why or ""))
            continue
        table = schema[spec.database][spec.table]
        dialect = dialects[spec.database]
        conditions = []
        for term in terms:
            if term.criterion == "phone":
                conditions.append(phone_condition(table, term.columns[0],
                                                  criteria.phone_tail or "", dialect))
            elif term.criterion == "email":
                conditions.append(email_condition(table, term.columns[0], email_variants,
                                                  dialect))
            else:
                conditions.append(name_condition(table, term.columns[0], term.columns[1],
                                                 first_variants, last_variants, dialect))
        wanted = [spec.key, *spec.show, *spec.match_columns]
        if spec.time:
            wanted.append(spec.time)
        cols = [table.c[c] for c in dict.fromkeys(wanted)]
        stmt = select(*cols).where(or_(*conditions))
        if spec.time and criteria.start_at:
            stmt = stmt.where(unindexed(table.c[spec.time]) >= criteria.start_at)
        if spec.time and criteria.end_before:
            stmt = stmt.where(unindexed(table.c[spec.time]) < criteria.end_before)
        # No ORDER BY: an index that yields rows in time order would tempt the planner
        # away from the match indexes; the result is sorted in Python instead.
        queries.append(TableQuery(spec=spec, statement=stmt, terms=tuple(terms),
                                  dialect=dialect))
    return QueryPlan(criteria=criteria, queries=tuple(queries), skipped=tuple(skipped))


def term_matches(term: MatchTerm, row: Mapping[str, object], criteria: Criteria) -> bool:
    """Whether ``row`` (a fetched result row) satisfies ``term``, for its match reason.

    This repeats the SQL semantics on the few rows the database returned, so the
    reasons cost no extra SQL.
    """
    if term.criterion == "phone":
        value = row.get(term.columns[0])
        return isinstance(value, str) and phone_matches(value, criteria.phone or "",
                                                        criteria.digits)
    if term.criterion == "email":
        return _text_equal(row.get(term.columns[0]), case_variants(criteria.email or ""))
    return (_text_equal(row.get(term.columns[0]), case_variants(criteria.first_name or ""))
            and _text_equal(row.get(term.columns[1]), case_variants(criteria.last_name or "")))


def _text_equal(value: object, variants: tuple[str, ...]) -> bool:
    if not isinstance(value, str):
        return False
    v = value.strip(" ")
    return ascii_lower(v) in variants or v.lower() in variants
