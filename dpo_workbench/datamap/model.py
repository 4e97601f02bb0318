"""The datamap as the workbench uses it: frozen dataclasses, and the result groups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..erasure.strategies import RowAction


class Group(StrEnum):
    """The four result groups of a search."""

    CONTACTS = "contacts"
    DIRECTORY_ENTRIES = "directory_entries"
    CAMPAIGN_CUSTOMERS = "campaign_customers"
    CONSENTS = "consents"

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def criteria(self) -> frozenset[str]:
        """The criteria that find rows of this group (the product's rules)."""
        return _GROUP_CRITERIA[self]


_TITLES = {
    Group.CONTACTS: "Contacts",
    Group.DIRECTORY_ENTRIES: "Directory Entries",
    Group.CAMPAIGN_CUSTOMERS: "Outbound Campaign Customers",
    Group.CONSENTS: "Customer Consents",
}
_GROUP_CRITERIA = {
    Group.CONTACTS: frozenset({"phone", "email"}),
    Group.DIRECTORY_ENTRIES: frozenset({"phone", "email", "name"}),
    Group.CAMPAIGN_CUSTOMERS: frozenset({"phone", "email", "name"}),
    Group.CONSENTS: frozenset({"phone"}),
}
FILE_KINDS = ("audio", "image", "attachment")


def humanize(name: str) -> str:
    """A readable default label for a technical name: ``remote_number`` -> ``Remote number``."""
    words = name.replace("_", " ").replace(".", " ").split()
    return " ".join(words)[:1].upper() + " ".join(words)[1:] if words else name


@dataclass(frozen=True)
class Labelled:
    """What a DPO reads instead of technical names (``label:``/``labels:`` in the datamap).

    ``third_party`` lists the columns that hold other people's data (agents' names, other
    participants): the subject's copy of a report redacts them (Art. 15(4) GDPR).
    ``third_party_when`` holds the conditions of those that are third parties only in
    some rows (``sender_name`` when ``sender`` is ``agent``): column -> (column ->
    values); a column without conditions is a third party in every row.

    Examples
    --------
    >>> t = Labelled(labels={"sender_name": "Sender's name"},
    ...              third_party=("sender_name",),
    ...              third_party_when={"sender_name": {"sender": ("agent",)}})
    >>> t.column_label("sender_name"), t.column_label("sent_at")
    ("Sender's name", 'Sent at')
    >>> t.third_parties({"sender": "agent", "sender_name": "Anna"})
    ('sender_name',)
    >>> t.third_parties({"sender": "customer", "sender_name": "Aino"})
    ()
    """

    label: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # column -> label
    third_party: tuple[str, ...] = ()
    third_party_when: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def column_label(self, column: str) -> str:
        """The label of one of this table's columns (declared, or made readable)."""
        return self.labels.get(column) or humanize(column)

    def third_parties(self, row: Mapping[str, Any]) -> tuple[str, ...]:
        """The columns of ``row`` that hold a third party's data (its conditions met)."""
        return tuple(c for c in self.third_party
                     if all(_condition_text(row.get(w)) in values
                            for w, values in self.third_party_when.get(c, {}).items()))

    def third_party_words(self, column: str) -> str:
        """When ``column`` is a third party, in words (for the subject's copy's notice)."""
        when = self.third_party_when.get(column, {})
        label = self.column_label(column)
        if not when:
            return label
        return label + " when " + " and ".join(
            f"{self.column_label(w)} is {' or '.join(v)}" for w, v in when.items())


def _condition_text(value: Any) -> str | None:
    """A row's value as a third-party condition compares it (text; None never matches)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass(frozen=True)
class FileSpec:
    """A column holding the path of a file, relative to a file store."""

    column: str
    store: str
    kind: str  # audio (Listen), image (Show), attachment (download)
    name_column: str | None = None  # column with the file's display name
    size_column: str | None = None  # column with the file's size in bytes


@dataclass(frozen=True, kw_only=True)
class Lookup(Labelled):
    """A many-to-one reference shown in details (an agent's name, a campaign)."""

    name: str
    column: str
    database: str
    table: str
    key: str
    show: tuple[str, ...]

    @property
    def title(self) -> str:
        """The lookup's label (declared, or made from its name)."""
        return self.label or humanize(self.name)


@dataclass(frozen=True)
class EraseSpec:
    """What erasure does to a row: delete it, or anonymize it column by column."""

    row: RowAction
    columns: Mapping[str, str] = field(default_factory=dict)  # column -> strategy name
    files: bool = True  # delete the row's files


@dataclass(frozen=True, kw_only=True)
class ChildSpec(Labelled):
    """Rows of another table in the same database that belong to a parent row."""

    name: str
    database: str
    table: str
    key: str
    parent: str  # the column holding the parent's key
    show: tuple[str, ...]
    identifying: tuple[str, ...]
    files: tuple[FileSpec, ...]
    erase: EraseSpec
    order_by: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The child table's label (declared, or made from its name)."""
        return self.label or humanize(self.name)


@dataclass(frozen=True)
class NameColumns:
    first: str
    last: str


@dataclass(frozen=True, kw_only=True)
class TableSpec(Labelled):
    """One searchable table of the datamap."""

    id: str
    database: str
    table: str
    group: Group
    key: str
    time: str | None
    #: The matched columns per match kind name (a name's match spans two columns).
    match: Mapping[str, tuple[tuple[str, ...], ...]]
    identifying: tuple[str, ...]
    show: tuple[str, ...]
    lookups: tuple[Lookup, ...]
    files: tuple[FileSpec, ...]
    erase: EraseSpec
    children: tuple[ChildSpec, ...]
    copy_of: str | None = None
    #: How ``time`` stores time: auto (from its type), native, iso, epoch_seconds or
    #: epoch_millis (see :mod:`dpo_workbench.timespan`).
    time_format: str = "auto"

    @property
    def location(self) -> str:
        return f"{self.database}.{self.table}"

    @property
    def title(self) -> str:
        """The table's label (declared, or made from its id)."""
        return self.label or humanize(self.id)

    @property
    def phone(self) -> tuple[str, ...]:
        """The phone number columns."""
        return tuple(c for (c,) in self.match.get("phone", ()))

    @property
    def email(self) -> tuple[str, ...]:
        """The e-mail address columns."""
        return tuple(c for (c,) in self.match.get("email", ()))

    @property
    def name(self) -> NameColumns | None:
        """The first and last name columns, if the table is matched by name."""
        pairs = self.match.get("name", ())
        return NameColumns(*pairs[0]) if pairs else None

    @property
    def match_columns(self) -> tuple[str, ...]:
        """Every matched column, once, in match-kind order."""
        return tuple(dict.fromkeys(c for groups in self.match.values() for g in groups
                                   for c in g))

    @property
    def name_columns(self) -> tuple[str, ...]:
        return (self.name.first, self.name.last) if self.name else ()

    @property
    def criteria(self) -> frozenset[str]:
        """The criteria this table can match (declared columns, within group rules)."""
        return frozenset(k for k, v in self.match.items() if v) & self.group.criteria


@dataclass(frozen=True)
class Datamap:
    """A parsed datamap. Build it with :func:`load_datamap`."""

    source: str
    tables: tuple[TableSpec, ...]

    def table(self, table_id: str) -> TableSpec:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"no table {table_id!r} in the datamap {self.source}")

    def by_location(self, database: str, table: str) -> TableSpec:
        for t in self.tables:
            if t.database == database and t.table == table:
                return t
        raise KeyError(f"no table {database}.{table} in the datamap {self.source}")

    def in_group(self, group: Group) -> tuple[TableSpec, ...]:
        return tuple(t for t in self.tables if t.group is group)

    def copies_of(self, table_id: str) -> tuple[TableSpec, ...]:
        return tuple(t for t in self.tables if t.copy_of == table_id)

    @property
    def databases(self) -> tuple[str, ...]:
        """Every logical database the datamap refers to (tables and lookups)."""
        seen: dict[str, None] = {}
        for t in self.tables:
            seen[t.database] = None
            for lk in t.lookups:
                seen[lk.database] = None
        return tuple(seen)

    @property
    def searched_databases(self) -> tuple[str, ...]:
        """The logical databases a search reads: those of the searchable tables (and
        their child rows); a database holding only lookups is not among them."""
        return tuple(dict.fromkeys(t.database for t in self.tables))

    def tables_by_database(self) -> dict[str, set[str]]:
        """Every physical table the datamap refers to, per logical database."""
        out: dict[str, set[str]] = {}
        for t in self.tables:
            out.setdefault(t.database, set()).add(t.table)
            for c in t.children:
                out.setdefault(c.database, set()).add(c.table)
            for lk in t.lookups:
                out.setdefault(lk.database, set()).add(lk.table)
        return out
