"""The workbench's erasure methods: plan, execute, resume (mixed into the Workbench).

Kept apart from :mod:`dpo_workbench.workbench` so that the facade stays small and a
search imports none of the erasure machinery: each method imports its step when
it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..audit import Action
from ..audit.reference import current_reference, request_reference, takes_reference
from ..criteria import Criteria
from ..progress import Progress
from ..selection import RowRef, Selection

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..audit import AuditLog
    from ..installation import Installation
    from ..search import SearchResult
    from .journal import Journal
    from .plan import ErasurePlan
    from .runs import Erasures


class ErasureMethods:
    """Guarded erasure for a class that has the installation, audit log and search."""

    installation: Installation
    user: str
    state_engine: Engine
    audit: AuditLog
    audit_key: bytes
    _journal: Journal | None = None
    _erasures: Erasures | None = None

    if TYPE_CHECKING:
        def record(self, action: Action, *, criteria: Criteria | None = None,
                   tables: Mapping[str, int] | None = None,
                   detail: Mapping[str, Any] | None = None) -> None: ...

        def search(self, criteria: Criteria | None = None, **fields: Any) -> SearchResult: ...

    @property
    def journal(self) -> Journal:
        """The erasure journal in the state database (its plans sealed with the audit key)."""
        if self._journal is None:
            from .journal import Journal

            self._journal = Journal(self.state_engine, self.audit_key)
        return self._journal

    @takes_reference
    def plan_erasure(self, selection: Selection | Iterable[RowRef], *,
                     criteria: Criteria | None = None) -> ErasurePlan:
        """What erasing the selected items would change (a dry run: nothing changes).

        Examples
        --------
        >>> result = wb.search(phone="+358 40 123 4567")          # doctest: +SKIP
        >>> plan = wb.plan_erasure(Selection.all(result))          # doctest: +SKIP
        >>> print(plan.describe()); plan.token                     # doctest: +SKIP
        """
        if isinstance(selection, Selection):
            refs, excluded = selection.selected(), list(selection.deselected)
        else:
            refs, excluded = list(selection), []
        from .planning import plan_erasure

        plan = plan_erasure(self.installation, refs, audit_key=self.audit_key,
                            excluded=excluded, criteria=criteria)
        self.record(Action.ERASURE_PLANNED, criteria=criteria, tables=plan.tables(),
                    detail={"token": plan.token, "items": len(plan.items),
                            "files": len(plan.files)})
        return plan

    @property
    def erasures(self) -> Erasures:
        """Erasure runs: execute, resume, audit and verify (see :mod:`.runs`)."""
        if self._erasures is None:
            from .runs import Erasures

            self._erasures = Erasures(self.installation, self.journal, self.audit, self.record,
                                      search=lambda c: self.search(c))
        return self._erasures

    @takes_reference
    def erase(self, plan: ErasurePlan, confirm: str, *, criteria: Criteria | None = None,
              user: str | None = None, on_step: Callable[[str, str], None] | None = None,
              progress: Progress | None = None, deep: bool = True) -> dict[str, Any]:
        """Execute a plan confirmed with its token, then verify; return the receipt.

        The plan is made again from the live databases first (with the criteria,
        the search runs again too): when anything that matches has changed since,
        nothing is changed and :class:`~dpo_workbench.errors.PlanChanged` carries
        the plan of the data now, with its own token. With the criteria and ``deep``,
        the receipt includes the deep sweep (:meth:`deep_sweep`).

        Raises
        ------
        ConfirmationError
            ``confirm`` is not the plan's token, or the plan was executed already;
            nothing was changed.
        PlanChanged
            The data changed since the plan was made; nothing was changed.
        ActionRefused
            An unfinished run erases the same items: resume it instead.
        ErasureIncomplete
            A database failed; the ones before it are done. Resume with
            :meth:`resume_erasure`.
        ErasureStopped
            The journal, the audit log or a database could not be written or reached
            after execution started (a full disk); resume once that is fixed.
        """
        return self.erasures.erase(plan, confirm, criteria=criteria, user=user or self.user,
                                   on_step=on_step, progress=progress, deep=deep)

    @takes_reference
    def resume_erasure(self, run_id: str, *, criteria: Criteria | None = None,
                       on_step: Callable[[str, str], None] | None = None,
                       progress: Progress | None = None, deep: bool = True) -> dict[str, Any]:
        """Complete a run from wherever it stopped (execute, audit, verify); return the receipt.

        A run that has its receipt already returns it.

        Raises
        ------
        NotFound
            There is no such run.
        JournalTampered
            The journal's stored plan was changed outside the workbench.
        ErasureIncomplete
            A database still failed; the ones before it are done.
        """
        # The run goes on under its request's reference unless another one is given.
        with request_reference(current_reference() or self._reference_of(run_id)):
            return self.erasures.resume(run_id, criteria=criteria, on_step=on_step,
                                        progress=progress, deep=deep)

    def _reference_of(self, run_id: str) -> str | None:
        """The request reference the run's plan was made under (its audit event), if any."""
        from ..errors import WorkbenchError

        try:
            token = self.journal.load(run_id).token
        except WorkbenchError:
            return None  # resume says what is wrong with the run
        planned = [e for e in self.audit.events(action=Action.ERASURE_PLANNED)
                   if e.detail.get("token") == token and e.reference]
        return planned[-1].reference if planned else None
