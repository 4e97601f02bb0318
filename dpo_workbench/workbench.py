"""The workbench: the public face of the library.

Each method validates its input, calls one step of the flow on the
:class:`~dpo_workbench.installation.Installation`, and records the step in the
audit log under the workbench's user. The command line, the dashboard and
analysts in JupyterLab all call it.
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import Engine

from .audit import Action, AuditLog, check_user, open_audit_log
from .audit.keys import audit_key_path
from .audit.opening import AuditOpening
from .audit.reference import current_reference, takes_reference
from .criteria import Criteria
from .datamap import Datamap
from .display import WorkbenchDisplay
from .engines import state_engine
from .erasure.methods import ErasureMethods
from .errors import UsageError
from .hints import Hint, merge
from .installation import Installation
from .maintenance import IndexMethods
from .progress import Progress
from .query import QueryPlan, build_plan, engine_plans
from .search import SearchResult, execute_plan
from .selection import RowRef, Selection
from .settings import Settings, load_settings
from .sweep.methods import SweepMethods

if TYPE_CHECKING:
    # Details, files, indexes, erasure and reports are imported by the methods that
    # use them, so that a search (the command line's most common call) loads none.
    from .batch import BatchResult
    from .details import Details
    from .files import FileInfo
    from .report.model import Report

log = logging.getLogger("dpo_workbench")

#: What a file can be read for, and the audit action each is recorded as.
FILE_ACTIONS: Mapping[str, Action] = {"download": Action.FILE_DOWNLOADED,
                                      "play": Action.FILE_PLAYED, "show": Action.FILE_SHOWN}


class Workbench(ErasureMethods, SweepMethods, IndexMethods, WorkbenchDisplay):
    """An installation opened for one user: every step, audit-logged.

    Open it with :func:`open_workbench` (or ``Workbench.open``): that opens the
    :class:`~dpo_workbench.installation.Installation` (settings, datamap, one
    engine per database, the datamap checked against the live schema), so a wrong
    column name fails here, naming the file, table and column, before anything is
    searched. Every method that records an event takes ``reference=``: the
    request's reference (the DPO's case number), recorded in each event of the
    call (:mod:`.audit.reference`). The index methods (``create_indexes`` ...) are
    :class:`~dpo_workbench.maintenance.IndexMethods`.

    Examples
    --------
    >>> import dpo_workbench as dw                                    # doctest: +SKIP
    >>> wb = dw.open_workbench("demo-install/workbench.yaml")         # doctest: +SKIP
    >>> result = wb.search(email="aino.jarvinen@example.fi")          # doctest: +SKIP
    >>> result.contacts.head()                                        # doctest: +SKIP
    """

    def __init__(self, installation: Installation, user: str | None = None):
        self.installation = installation
        self.user = _acting_user(user)
        self._audit: AuditLog | None = None
        self._audit_ahead: AuditOpening | None = None
        self._state_engine: Engine | None = None

    @classmethod
    def open(cls, settings_path: str | os.PathLike[str], user: str | None = None, *,
             databases: Iterable[str] | None = None, searched_only: bool = False,
             audit_ahead: bool = False) -> Workbench:
        """Open the installation whose settings file is ``settings_path``.

        ``databases`` opens only those, ``searched_only`` only those a search reads
        (see :meth:`Installation.open`). With
        ``audit_ahead``, an existing audit log is opened on a thread of its own
        while the installation's databases connect, for a caller about to record (a
        command-line search); otherwise, and for a log not started yet (no key
        file), it is opened at the first event. An error opening it is raised where
        the log is first used, as without.
        """
        # The user is checked first: a name the audit log refuses must stop the
        # command before anything is opened, searched or written.
        user = _acting_user(user)
        settings = load_settings(settings_path)
        # A new log (and its key) is started by the first event, not by a command
        # that fails before it records anything.
        opening = (AuditOpening(lambda: open_audit_log(settings))
                   if audit_ahead and audit_key_path(settings).exists() else None)
        try:
            wb = cls(Installation.open(settings, databases=databases,
                                       searched_only=searched_only), user=user)
        except BaseException:
            if opening is not None:
                opening.discard()
            raise
        wb._audit_ahead = opening
        return wb

    def close(self) -> None:
        """Release every database connection and the search threads."""
        self.installation.close()
        if self._state_engine is not None:
            self._state_engine.dispose()
        if self._audit_ahead is not None:
            self._audit_ahead.discard()
            self._audit_ahead = None
        if self._audit is not None:
            self._audit.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def settings(self) -> Settings:
        """The installation's settings."""
        return self.installation.settings

    @property
    def datamap(self) -> Datamap:
        """The installation's datamap."""
        return self.installation.datamap

    # -- the audit log and the journal ----------------------------------------------

    @property
    def state_engine(self) -> Engine:
        """The workbench's state database (audit log, erasure journal)."""
        if self._state_engine is None:
            self._state_engine = state_engine(self.settings.state_url)
        return self._state_engine

    @property
    def audit(self) -> AuditLog:
        """The installation's audit log; every action of this workbench is recorded in it."""
        if self._audit is None:
            opening, self._audit_ahead = self._audit_ahead, None
            self._audit = opening.result() if opening else open_audit_log(self.settings)
        return self._audit

    @property
    def audit_key(self) -> bytes:
        """The key of the keyed hashes of criteria (kept apart from the state database)."""
        return self.audit.key

    def record(self, action: Action, *, criteria: Criteria | None = None,
               tables: Mapping[str, int] | None = None,
               detail: Mapping[str, Any] | None = None) -> None:
        """Append an event to the audit log under this workbench's user (and request reference)."""
        self.audit.record(self.user, action, criteria=criteria, tables=tables, detail=detail,
                          reference=current_reference())

    # -- searching ----------------------------------------------------------------------

    def criteria(self, criteria: Criteria | None = None, **fields: Any) -> Criteria:
        """Validate criteria given as a :class:`Criteria` or as keyword fields."""
        if criteria is not None:
            if fields:
                raise TypeError("give either a Criteria or keyword fields, not both")
            return criteria.validated()
        if fields.get("digits") in (None, ""):
            fields["digits"] = self.settings.search.digits
        return Criteria.parse(**fields)

    def plan(self, criteria: Criteria | None = None, **fields: Any) -> QueryPlan:
        """The selects a search would run (nothing is run)."""
        c = self.criteria(criteria, **fields)
        inst = self.installation
        inst.refresh_if_due()  # a schema changed since the workbench was opened is seen
        return build_plan(inst.datamap, inst.schema, inst.dialects, c)

    def explain(self, criteria: Criteria | None = None, **fields: Any) -> str:
        """Say in plain words what a search will look at, table by table."""
        return self.plan(criteria, **fields).explain()

    def engine_plans(self, criteria: Criteria | None = None, **fields: Any) -> dict[str, str]:
        """Each table's query plan as its engine reports it (EXPLAIN), by table id.

        Shows whether a search seeks the workbench's indexes or scans a table.
        """
        return engine_plans(self.installation, self.plan(criteria, **fields))

    @takes_reference
    def search(self, criteria: Criteria | None = None, *, progress: Progress | None = None,
               **fields: Any) -> SearchResult:
        """Find everything the installation holds about one person.

        Parameters
        ----------
        criteria : Criteria, optional
            Validated criteria; or give the fields as keywords: ``email``, ``phone``,
            ``digits``, ``first_name``, ``last_name``, ``start``, ``end``.
        progress : callable, optional
            Called as ``progress(message, done, total)`` while databases answer.

        Returns
        -------
        SearchResult
            One DataFrame per group (``contacts``, ``directory_entries``,
            ``campaign_customers``, ``consents``).

        Raises
        ------
        InvalidCriteria
            A rule is broken; nothing was searched.

        Examples
        --------
        >>> r = wb.search(phone="040-123 4567", start="2025-01-01")   # doctest: +SKIP
        >>> r.counts()                                                # doctest: +SKIP
        {'contacts': 5, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 2}
        """
        plan = self.plan(criteria, **fields)
        result = execute_plan(plan, self.installation, progress=progress)
        log.info("search over %d tables found %d items in %.1f ms", len(plan.queries),
                 result.total, result.elapsed * 1000)
        tables = {self.datamap.table(tid).location: n
                  for tid, n in result.rows_per_table.items()}
        self.record(Action.SEARCH, criteria=plan.criteria, tables=tables,
                    detail={"items": result.total, "too_many": result.too_many,
                            "ms": round(result.elapsed * 1000, 1)})
        return result

    def identity_hints(self, result: SearchResult) -> list[Hint]:
        """Other identifiers the found items carry, free text included: suggestions only.

        ``result.hints`` holds those of the found rows' match columns (no extra
        reading); this also reads the items' identifying columns and child rows
        (e-mail bodies, transcripts, notes). Nothing is added to the search.
        """
        from .hints import text_hints

        more = text_hints(self.installation, result.criteria, result.refs())
        return merge(result.hints, more)

    # -- details and files --------------------------------------------------------------

    def ref(self, text: str) -> RowRef:
        """The reference ``DATABASE.TABLE#KEY`` of a found item, its key typed from the column.

        Raises
        ------
        UsageError
            ``text`` is not of that form, or the key does not fit the key column.
        NotFound
            The table is not in the datamap.
        """
        return self.installation.typed_ref(RowRef.parse(text))

    @takes_reference
    def details(self, ref: RowRef | str | Any) -> Details:
        """All fields, lookups, child rows, files and copies of one found item.

        ``ref`` is a :class:`RowRef`, its text ``DATABASE.TABLE#KEY``, or a row of a
        result frame (``result.contacts.iloc[0]``: see :meth:`RowRef.from_record`).
        """
        from .details import details_of

        if isinstance(ref, str):
            ref = self.ref(ref)
        elif not isinstance(ref, RowRef):
            ref = RowRef.from_record(ref)
        found = details_of(self.installation, ref)
        spec = self.installation.spec_of(ref)
        self.record(Action.DETAILS_VIEWED, tables={spec.location: 1},
                    detail={"group": spec.group.value})
        return found

    @takes_reference
    def read_file(self, info: FileInfo, action: str = "download",
                  reason: str | None = None) -> bytes:
        """The content of a found item's file, audit-logged as downloaded, played or shown.

        Parameters
        ----------
        info : FileInfo
            A file of :attr:`Details.files`.
        action : {"download", "play", "show"}
        reason : str, optional
            Why the DPO listens; required for ``play`` when the settings say
            ``access: {require_listen_reason: true}``. Recorded in the audit log,
            so it must not contain personal data (e-mail addresses and phone
            numbers are refused).
        """
        if action not in FILE_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FILE_ACTIONS)}")
        from .files import check_reason, read_file

        reason = check_reason(action, reason, self.settings.access.require_listen_reason)
        data = read_file(info)
        detail: dict[str, Any] = {"kind": info.kind, "bytes": len(data)}
        if reason:
            detail["reason"] = reason[:200]
        self.record(FILE_ACTIONS[action],
                    tables={f"{info.owner.database}.{info.owner.table}": 1}, detail=detail)
        return data

    @property
    def listen_reason_required(self) -> bool:
        """Whether playing a recording needs a reason (``access.require_listen_reason``)."""
        return self.settings.access.require_listen_reason

    # -- reports ------------------------------------------------------------------------

    @takes_reference
    def report(self, selection: Selection, *, criteria: Criteria | None = None,
               out: str | os.PathLike[str] | BinaryIO | None = None, fmt: str | None = None,
               bom: bool = True, created_at: datetime | None = None,
               progress: Progress | None = None, subject_copy: bool = False) -> Report:
        """Everything about the selected items; written to ``out`` when given.

        Parameters
        ----------
        selection : Selection
            The selected items (for example ``Selection.all(result)``).
        criteria : Criteria, optional
            The search's criteria; the report describes them in words (no values).
        out : path or binary file, optional
            Where to write the report. A path is written atomically; its extension
            chooses the format unless ``fmt`` says.
        fmt : str, optional
            A name of :data:`dpo_workbench.report.FORMATS`.
        subject_copy : bool
            The copy handed to the person (Art. 15(4) GDPR): the values of columns
            the datamap declares ``third_party`` (agents' names...) read
            ``[third party: redacted]``, and the copy states what was searched, with
            the values, and when (UTC). Needs ``criteria``. Default: the DPO's own
            report, which keeps everything.

        Records ``report_created`` in the audit log once the report is complete (the
        file written, or the report returned): the items read per table, the
        format, whether it is the subject's copy, and the criteria only as their
        keyed hash.

        Examples
        --------
        >>> result = wb.search(phone="+358 40 123 4567")              # doctest: +SKIP
        >>> wb.report(Selection.all(result), out="aino.zip").counts    # doctest: +SKIP
        {'contacts': 31, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 3}
        """
        from .report.formats import REGISTRY, format_for
        from .report.model import build_report
        from .report.output import check_folder

        if out is not None:
            # A wrong format or folder fails before anything is read.
            if isinstance(out, str | os.PathLike):
                check_folder(out)
                fmt = format_for(out, fmt)
            else:
                fmt = format_for("", fmt)
            if subject_copy and fmt == "csv-wide":
                raise UsageError("The subject's copy states what was searched and what it "
                                 "redacts, and a wide CSV has no place for that: write it as "
                                 "csv, json, xlsx or zip.")
        report = build_report(self.installation, selection, criteria=criteria,
                              created_at=created_at, created_by=self.user, progress=progress,
                              subject_copy=subject_copy)
        if out is not None and fmt is not None:
            REGISTRY[fmt].write(report, out, bom=bom)
        detail: dict[str, Any] = {"items": report.total, "missing": report.missing_count,
                                  "format": fmt or "python"}
        if report.subject is not None:
            detail.update(subject_copy=True, redacted=report.subject.redacted)
        self.record(Action.REPORT_CREATED, criteria=criteria, tables=report.tables(),
                    detail=detail)
        return report

    def batch(self, requests: Any, *, out: str | os.PathLike[str], fmt: str | None = None,
              force: bool = False, accept_too_many: bool = False, bom: bool = True,
              progress: Progress | bool | None = None) -> BatchResult:
        """Search and report many requests (:mod:`dpo_workbench.batch`): a report each, a summary.

        ``requests``: a CSV file's path, a DataFrame or dicts, a request per line, each
        line's events under its ``reference``. Bad lines are in the result, the others
        run; ``out`` must be empty unless ``force``; ``progress=True`` shows progress.
        """
        from .batch import run_batch

        return run_batch(self, requests, out, fmt=fmt, force=force,
                         accept_too_many=accept_too_many, bom=bom, progress=progress)


def _acting_user(user: str | None) -> str:
    """Who acts (recorded in the audit log): given, or the operating system's user."""
    return check_user(getpass.getuser() if user is None else user)


def open_workbench(settings_path: str | os.PathLike[str], user: str | None = None, *,
                   databases: Iterable[str] | None = None, searched_only: bool = False,
                   audit_ahead: bool = False) -> Workbench:
    """Open an installation from its settings file (see :class:`Workbench`).

    ``user`` names who acts (the audit log records it); by default the operating
    system's user name. ``databases`` opens only those logical databases (a resumed
    erasure needs only its own, so another one may be down); ``searched_only`` only
    those a search reads. ``audit_ahead`` opens the audit log meanwhile (see
    :meth:`Workbench.open`).
    """
    return Workbench.open(settings_path, user=user, databases=databases,
                          searched_only=searched_only, audit_ahead=audit_ahead)

