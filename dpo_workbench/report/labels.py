"""What a report calls its tables, lookups, child tables and columns: the datamap's labels.

A report names an item's table "Contact" rather than ``operative.contact_events``
and a column "Phone number" rather than ``remote_number``; the technical names stay
beside them. :class:`ReportLabels` answers from the datamap's table specs (see
``label``/``labels`` in ``docs/datamap.md``); a name the datamap does not know (a
report built by hand) is made readable from itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..datamap.model import ChildSpec, Lookup, TableSpec, humanize


def with_name(label: str, name: str) -> str:
    """A label with the technical name beside it, unless the label is only the name made readable.

    >>> with_name("Phone number", "remote_number"), with_name("Channel", "channel")
    ('Phone number (remote_number)', 'Channel')
    """
    return label if label.casefold() == humanize(name).casefold() else f"{label} ({name})"


def _title(part: Lookup | ChildSpec | None, name: str) -> str:
    return part.title if part else humanize(name)


def _column(part: Lookup | ChildSpec | None, column: str) -> str:
    return part.column_label(column) if part else humanize(column)


class ReportLabels:
    """The labels of a report's tables and columns, by table id.

    Examples
    --------
    >>> labels = ReportLabels({t.id: t for t in inst.datamap.tables})
    >>> labels.table("contact_events"), labels.column("contact_events", "remote_number")
    ('Contact', 'Phone number')
    >>> labels.lookup("contact_events", "agent"), labels.child("contact_events", "transcript")
    ('Agent', 'Chat transcript')
    >>> labels.location("monitoring1", "contact_events")
    'Contact (monitoring copy)'
    >>> ReportLabels({}).column("helpdesk_tickets", "opened_at")
    'Opened at'
    """

    def __init__(self, specs: Mapping[str, TableSpec]):
        self.specs = specs
        self._locations = {(t.database, t.table): t for t in specs.values()}

    def _part(self, table_id: str, kind: str, name: str) -> Lookup | ChildSpec | None:
        spec = self.specs.get(table_id)
        parts: tuple[Lookup | ChildSpec, ...] = ((spec.lookups if kind == "lookup" else
                                                  spec.children) if spec else ())
        return next((p for p in parts if p.name == name), None)

    def table(self, table_id: str) -> str:
        """The label of a datamap table (``Contact``)."""
        spec = self.specs.get(table_id)
        return spec.title if spec else humanize(table_id)

    def column(self, table_id: str, column: str) -> str:
        """The label of a column of a datamap table."""
        spec = self.specs.get(table_id)
        return spec.column_label(column) if spec else humanize(column)

    def lookup(self, table_id: str, name: str) -> str:
        """The label of a table's lookup (``Agent``)."""
        return _title(self._part(table_id, "lookup", name), name)

    def lookup_column(self, table_id: str, name: str, column: str) -> str:
        """The label of a lookup's shown column."""
        return _column(self._part(table_id, "lookup", name), column)

    def child(self, table_id: str, name: str) -> str:
        """The label of a table's child table (``Chat transcript``)."""
        return _title(self._part(table_id, "child", name), name)

    def child_column(self, table_id: str, name: str, column: str) -> str:
        """The label of a child table's column."""
        return _column(self._part(table_id, "child", name), column)

    def location(self, database: str, table: str) -> str:
        """The label of the datamap table at ``database.table`` (copies included)."""
        spec = self._locations.get((database, table))
        return spec.title if spec else humanize(table)


def headed(labels: dict[str, dict[str, None]], key: str, name: str | None = None) -> str:
    """A column heading: its labels (those the tables give it, ``/`` between), its name beside.

    >>> headed({"email": {"E-mail address": None}}, "email")
    'E-mail address (email)'
    >>> headed({"started_at": {"Started": None, "Imported": None}}, "started_at")
    'Started / Imported (started_at)'
    """
    return with_name(" / ".join(labels.get(key, {})) or humanize(name or key), key)
