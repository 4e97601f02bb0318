"""The report itself: everything about the selected items, read once, written in any format.

:func:`build_report` reads the selected items (their fields, lookups, child rows,
files and copies, in batches through :func:`~dpo_workbench.details.gather_details`)
into a :class:`Report`; the writers of :mod:`~dpo_workbench.report.formats` turn it
into files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..criteria import Criteria
from ..datamap import Group, TableSpec
from ..details import Details, gather_details
from ..display import report_html, report_repr
from ..errors import UsageError
from ..frameforms import report_frame
from ..installation import Installation
from ..progress import Progress
from ..selection import RowRef, Selection
from .labels import ReportLabels
from .subject import (
    SubjectCopy,
    declared_third_parties,
    redact_details,
    searched_words,
    utc_text,
)

if TYPE_CHECKING:
    import pandas as pd



@dataclass(frozen=True)
class Where:
    """One table that holds the person's data: its items and the copies of items held there."""

    group: str
    database: str
    table: str
    label: str
    items: int
    copies: int

    @property
    def location(self) -> str:
        return f"{self.database}.{self.table}"


@dataclass(frozen=True)
class Report:
    """Everything about the selected items, ready to be written.

    Build it with :func:`build_report`. ``groups`` maps every group name (in
    :class:`~dpo_workbench.datamap.Group` order) to the details of its selected
    items, in search order; ``missing`` maps group names to selected items whose
    rows were deleted after the search; ``created_by`` is the workbench user who
    made it ("" when built outside a workbench). ``specs`` are the datamap tables of
    the items by id (their labels name tables and columns, :attr:`labels`);
    ``subject`` is set in the data subject's copy (see :mod:`.subject`).
    """

    installation: str
    created_at: datetime
    search: str  # the criteria in words (Criteria.describe()), never their values
    groups: Mapping[str, tuple[Details, ...]]
    missing: Mapping[str, tuple[RowRef, ...]] = field(default_factory=dict)
    created_by: str = ""
    specs: Mapping[str, TableSpec] = field(default_factory=dict, repr=False)
    subject: SubjectCopy | None = field(default=None, repr=False)

    @cached_property
    def labels(self) -> ReportLabels:
        """What the report calls its tables and columns (the datamap's labels)."""
        return ReportLabels(self.specs)

    def where(self) -> list[Where]:
        """Where the person's data lives: per group and table, the items and copies held.

        Examples
        --------
        >>> [(w.label, w.items, w.copies) for w in report.where()][:2]
        [('Contact', 8, 0), ('Contact (monitoring copy)', 1, 6)]
        """
        out: dict[tuple[str, str, str], list[int]] = {}
        for group, d in self.items():
            out.setdefault((group.value, d.ref.database, d.ref.table), [0, 0])[0] += 1
            for c in d.copies:
                out.setdefault((group.value, c.database, c.table), [0, 0])[1] += 1
        return [Where(g, db, t, self.labels.location(db, t), n, copies)
                for (g, db, t), (n, copies) in out.items()]

    def statement(self) -> list[tuple[str, str, Any]]:
        """The report's own lines before its items: (field, label, value).

        The installation, the time, the search in words; in the subject's copy also
        what it leaves out and why, and what was searched with the values.
        """
        lines: list[tuple[str, str, Any]] = [
            ("installation", "Installation", self.installation),
            ("created_at", "Created at", self.created_at),
            ("search", "Searched for", self.search)]
        if self.subject is not None:
            lines += self.subject.statement()
        return lines

    @property
    def counts(self) -> dict[str, int]:
        """Items in the report per group name (every group, zero included)."""
        return {g: len(items) for g, items in self.groups.items()}

    @property
    def total(self) -> int:
        """Items in the report, over all groups."""
        return sum(self.counts.values())

    def tables(self) -> dict[str, int]:
        """Items read per ``database.table`` (for the audit log)."""
        out: dict[str, int] = {}
        for _, d in self.items():
            location = f"{d.ref.database}.{d.ref.table}"
            out[location] = out.get(location, 0) + 1
        return out

    @property
    def missing_count(self) -> int:
        """Selected items whose rows no longer exist."""
        return sum(len(refs) for refs in self.missing.values())

    def items(self) -> Iterator[tuple[Group, Details]]:
        """Every item with its group, in report order."""
        for g, items in self.groups.items():
            for d in items:
                yield Group(g), d

    def to_frame(self) -> pd.DataFrame:
        """Every value of the report, one row each (see :mod:`dpo_workbench.frameforms`).

        ``attrs`` hold the installation, the time and the search in words.
        """
        return report_frame(self)

    def __repr__(self) -> str:
        return report_repr(self)

    def _repr_html_(self) -> str:
        return report_html(self)


def build_report(inst: Installation, selection: Selection, *,
                 criteria: Criteria | None = None, created_at: datetime | None = None,
                 created_by: str = "", progress: Progress | None = None,
                 subject_copy: bool = False) -> Report:
    """Read everything about the selected items into a :class:`Report`.

    :meth:`Workbench.report <dpo_workbench.workbench.Workbench.report>` calls it,
    writes the report and records it in the audit log.

    Parameters
    ----------
    inst : Installation
        The opened installation.
    selection : Selection
        The selected items; groups named in it must be :class:`Group` names.
    criteria : Criteria, optional
        The search's criteria; the report describes them in words (no values).
    created_at : datetime, optional
        The report's time; default now (local time with its UTC offset, whole seconds).
    created_by : str
        Who made it (the workbench user); the XLSX summary names them.
    progress : callable, optional
        Called as ``progress(message, done, total)`` while tables are read.
    subject_copy : bool
        Make the data subject's copy: third parties' values redacted, what was
        searched stated with its values (see :mod:`dpo_workbench.report.subject`);
        it needs ``criteria``.

    Returns
    -------
    Report

    Raises
    ------
    ValueError
        The selection names a group that does not exist.
    UsageError
        The subject's copy is asked for without the criteria (it states them).
    DatabaseError
        A database could not be read.

    Examples
    --------
    >>> result = wb.search(phone="+358 40 123 4567")
    >>> sel = Selection.all(result).unselect_group("consents")
    >>> report = build_report(inst, sel, criteria=result.criteria)
    >>> report.counts
    {'contacts': 9, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 0}
    """
    if subject_copy and criteria is None:
        raise UsageError("The subject's copy states what was searched: give the criteria.")
    unknown = [g for g in selection.groups if g not in {x.value for x in Group}]
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(unknown)} in the selection; groups are "
                         f"{', '.join(g.value for g in Group)}.")
    by_group = {g.value: selection.selected(g.value) if g.value in selection.groups else []
                for g in Group}
    gathered = gather_details(inst, [r for refs in by_group.values() for r in refs],
                              progress=progress)
    found = {(d.ref.database, d.ref.table, d.ref.key): d for d in gathered}
    groups: dict[str, tuple[Details, ...]] = {}
    missing: dict[str, tuple[RowRef, ...]] = {}
    for g, refs in by_group.items():
        keys = [(r.database, r.table, r.key) for r in refs]
        groups[g] = tuple(found[k] for k in keys if k in found)
        gone = tuple(r for r, k in zip(refs, keys, strict=True) if k not in found)
        if gone:
            missing[g] = gone
    when = created_at or datetime.now().astimezone().replace(microsecond=0)
    specs = {t.id: t for t in inst.datamap.tables}
    subject = None
    if subject_copy and criteria is not None:
        redacted = 0
        for g, items in groups.items():
            copies = [redact_details(specs[d.table_id], d) for d in items]
            groups[g] = tuple(d for d, _ in copies)
            redacted += sum(n for _, n in copies)
        used = dict.fromkeys(d.table_id for items in groups.values() for d in items)
        subject = SubjectCopy(searched=searched_words(criteria, inst.settings.name),
                              created_at_utc=utc_text(when),
                              third_parties=declared_third_parties([specs[t] for t in used]),
                              redacted=redacted)
    return Report(installation=inst.settings.name, created_at=when,
                  search=criteria.describe() if criteria is not None else "",
                  groups=groups, missing=missing, created_by=created_by, specs=specs,
                  subject=subject)
