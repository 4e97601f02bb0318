"""The query plan: one SQLAlchemy Core ``select()`` per datamap table.

Statements carry the criteria as bound parameters only. :meth:`QueryPlan.explain`
says in plain words what will be searched where, without the searched values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, or_, select

from .criteria import Criteria
from .datamap import Datamap, Group, TableSpec
from .installation import Installation
from .matchkinds import MATCH_KINDS, MatchKind
from .timespan import resolve as resolve_time_format
from .timespan import span_conditions


@dataclass(frozen=True)
class MatchTerm:
    """One way a row of a table can match: a match kind on its columns."""

    kind: MatchKind
    columns: tuple[str, ...]

    @property
    def criterion(self) -> str:
        """The match kind's name (``phone``, ``email``, ``name``)."""
        return self.kind.name

    def words(self, criteria: Criteria) -> str:
        """The term in words, without the searched value."""
        return self.kind.words(self.columns, criteria)

    def reason(self, criteria: Criteria) -> str:
        """The match reason shown with a row, e.g. ``phone ends 1234567 in remote_number``."""
        return self.kind.reason(self.columns, criteria)

    def matches(self, row: Mapping[str, object], criteria: Criteria) -> bool:
        """Whether a fetched row satisfies the term (the SQL's semantics, in Python).

        This repeats the SQL on the few rows the database returned, so the match
        reasons cost no extra SQL.
        """
        return self.kind.matches([row.get(c) for c in self.columns], criteria)


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

    def matched_terms(self, row: Mapping[str, object], criteria: Criteria) -> list[MatchTerm]:
        """The terms a fetched row satisfies (why it was found)."""
        return [t for t in self.terms if t.matches(row, criteria)]

    def reasons(self, row: Mapping[str, object], criteria: Criteria) -> str:
        """Why a fetched row matched, every term it satisfies, in words."""
        return "; ".join(t.reason(criteria) for t in self.matched_terms(row, criteria))


@dataclass(frozen=True)
class QueryPlan:
    """What a search will run: one :class:`TableQuery` per table that can match."""

    criteria: Criteria
    queries: tuple[TableQuery, ...]
    skipped: tuple[tuple[TableSpec, str], ...]  # tables not searched, with the reason

    def undated(self) -> tuple[str, ...]:
        """The tables searched that the criteria's date span cannot restrict (no time)."""
        if self.criteria.start is None and self.criteria.end is None:
            return ()
        return tuple(q.spec.location for q in self.queries if not q.spec.time)

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
                if self.criteria.start or self.criteria.end:
                    span = (f"; only rows whose {q.spec.time} is in the date span" if q.spec.time
                            else "; NOT restricted by the date span (no time column)")
                copy = f" (copies of {q.spec.copy_of})" if q.spec.copy_of else ""
                lines.append(f"  - {q.spec.location}{copy}: {terms}{span}")
            for t, why in skipped:
                lines.append(f"  - {t.location}: not searched ({why})")
        return "\n".join(lines)


def _terms(spec: TableSpec, criteria: Criteria) -> tuple[list[MatchTerm], str | None]:
    wanted = criteria.kinds
    usable = wanted & spec.criteria
    terms = [MatchTerm(kind, columns) for name, kind in MATCH_KINDS.items() if name in usable
             for columns in spec.match.get(name, ())]
    if terms:
        return terms, None
    given = " or ".join(MATCH_KINDS[w].label for w in sorted(wanted))
    if wanted - spec.group.criteria:
        return [], f"{spec.group.title} are not found by {given}"
    return [], f"it declares no column for {given}"


def build_plan(datamap: Datamap, schema: Mapping[str, Mapping[str, Table]],
               dialects: Mapping[str, str], criteria: Criteria) -> QueryPlan:
    """Build the selects of a search.

    ``schema`` holds the reflected tables per logical database and ``dialects``
    each database's dialect name (the match expressions differ per engine).
    """
    queries: list[TableQuery] = []
    skipped: list[tuple[TableSpec, str]] = []
    for spec in datamap.tables:
        if spec.database not in schema:
            skipped.append((spec, "its database is not open"))
            continue
        terms, why = _terms(spec, criteria)
        if not terms:
            skipped.append((spec, why or ""))
            continue
        table = schema[spec.database][spec.table]
        dialect = dialects[spec.database]
        conditions = [t.kind.condition(table, t.columns, criteria, dialect) for t in terms]
        wanted = [spec.key, *spec.show, *spec.match_columns]
        if spec.time:
            wanted.append(spec.time)
        cols = [table.c[c] for c in dict.fromkeys(wanted)]
        stmt = select(*cols).where(or_(*conditions))
        if spec.time and (criteria.start or criteria.end):
            fmt = resolve_time_format(spec.time_format, table.c[spec.time]) or "native"
            stmt = stmt.where(*span_conditions(table.c[spec.time], fmt, criteria, dialect))
        # No ORDER BY: an index that yields rows in time order would tempt the planner
        # away from the match indexes; the result is sorted in Python instead.
        queries.append(TableQuery(spec=spec, statement=stmt, terms=tuple(terms),
                                  dialect=dialect))
    return QueryPlan(criteria=criteria, queries=tuple(queries), skipped=tuple(skipped))


def engine_plans(inst: Installation, plan: QueryPlan) -> dict[str, str]:
    """Each table's query plan as its engine reports it (EXPLAIN), by table id.

    Shows whether a search seeks the workbench's indexes or scans a table.
    """
    out = {}
    for q in plan.queries:
        with inst.connect(q.spec.database) as conn:
            compiled = q.statement.compile(dialect=conn.dialect,
                                           compile_kwargs={"render_postcompile": True})
            prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
            params = compiled.construct_params()
            if compiled.positiontup is not None:
                args: Any = tuple(params[k] for k in compiled.positiontup)
            else:
                args = params
            rows = conn.exec_driver_sql(prefix + str(compiled), args).fetchall()
        out[q.spec.id] = "\n".join(" | ".join(str(v) for v in r) for r in rows)
    return out
