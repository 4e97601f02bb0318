"""Erasure runs, end to end: re-plan and confirm, execute, audit, verify, store the receipt.

:class:`Erasures` is what :meth:`Workbench.erase
<dpo_workbench.workbench.Workbench.erase>` and :meth:`Workbench.resume_erasure
<dpo_workbench.workbench.Workbench.resume_erasure>` call. It receives what it
needs explicitly: the installation, the journal, the audit log, how to record an
audit event and how to search. Every stage is idempotent, so a run killed at any
point ends, when resumed, with its receipt and every audit event once:
``erasure_executed`` and ``erasure_verified`` are recorded only if the audit log
does not hold them for the run yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from ..audit import Action, AuditLog
from ..criteria import Criteria
from ..errors import (
    ActionRefused,
    ConfirmationError,
    DatabaseError,
    ErasureIncomplete,
    ErasureStopped,
    PlanChanged,
)
from ..installation import Installation
from ..progress import Progress
from ..search import SearchResult
from ..selection import RowRef
from ..sweep.model import with_sweep
from ..sweep.sweeps import sweep
from . import execute
from .execute import check_confirmation
from .faults import fault_point
from .journal import EXECUTED, FINISHED, Journal, Run
from .plan import ErasurePlan, fingerprint_key
from .planning import plan_erasure
from .receipt import Receipt
from .verify import verify_run


class Record(Protocol):
    """Appends an audit event under the acting user."""

    def __call__(self, action: Action, *, criteria: Criteria | None = None,
                 tables: Mapping[str, int] | None = None,
                 detail: Mapping[str, Any] | None = None) -> None: ...


class Erasures:
    """Erasure runs of one installation (see the module notes)."""

    def __init__(self, inst: Installation, journal: Journal, audit: AuditLog, record: Record,
                 *, search: Callable[[Criteria], SearchResult]):
        self.inst = inst
        self.journal = journal
        self.audit = audit
        self.record = record
        self.search = search

    def replan(self, plan: ErasurePlan, criteria: Criteria | None) -> ErasurePlan:
        """The plan of the same request, from the live databases now."""
        refs: list[RowRef] = list(plan.items)
        if criteria is not None:
            left_out = {(r.database, r.table, str(r.key)) for r in plan.excluded}
            refs = [r for r in self.search(criteria).refs()
                    if (r.database, r.table, str(r.key)) not in left_out]
        return plan_erasure(self.inst, refs, audit_key=self.audit.key,
                            excluded=plan.excluded, criteria=criteria)

    def _refuse(self, plan: ErasurePlan, criteria: Criteria | None, reason: str,
                exc: Exception) -> Exception:
        self.record(Action.ERASURE_REFUSED, criteria=criteria,
                    detail={"token": plan.token, "reason": reason})
        return exc

    def erase(self, plan: ErasurePlan, confirm: str, *, user: str,
              criteria: Criteria | None = None,
              on_step: Callable[[str, str], None] | None = None,
              progress: Progress | None = None, deep: bool = True) -> Receipt:
        """Execute a plan confirmed with its token, then verify; return the receipt.

        What it checks first, and what it raises, is documented once, on
        :meth:`dpo_workbench.erasure.methods.ErasureMethods.erase`.
        """
        criteria = criteria if criteria is not None else plan.criteria
        # The token of a run that did not finish: the data has changed since (part of it
        # is erased), so it matches no plan now; the DPO must resume that run.
        typed = confirm.strip().upper() if isinstance(confirm, str) else ""
        unfinished = self.journal.unfinished_run_of(typed) if typed else None
        if unfinished:
            raise self._refuse(plan, criteria, "unfinished", ActionRefused(
                f"The plan {typed} is being executed by run {unfinished}, which has not finished; "
                f"nothing was changed. Resume it: dpo-workbench erase --resume {unfinished}"))
        try:
            token = check_confirmation(plan, confirm)
        except ConfirmationError as exc:
            raise self._refuse(plan, criteria, "wrong_token", exc) from None
        fresh = self.replan(plan, criteria)
        if fresh.token != token:
            raise self._refuse(plan, criteria, "changed", PlanChanged(
                "The data changed since the plan was made (items found, rows or files are not "
                "the same); nothing was changed. Read the new plan and confirm it with its "
                f"token {fresh.token}.", fresh))
        fingerprint = criteria.fingerprint(self.audit.key) if criteria is not None else None
        earlier = self.journal.overlapping(fresh.items)
        earlier += [r.run_id for r in self.journal.unfinished()
                    if fingerprint and r.criteria_hash == fingerprint and r.run_id not in earlier]
        if earlier:
            raise self._refuse(plan, criteria, "unfinished", ActionRefused(
                f"An earlier erasure of these items did not finish (run {earlier[0]}); nothing "
                f"was changed. Resume it: dpo-workbench erase --resume {earlier[0]}"))
        run_id = self.journal.start(fresh, user, fingerprint)
        fault_point("run.recorded")
        return self.resume(run_id, criteria=criteria, on_step=on_step, progress=progress,
                           deep=deep)

    def _recorded(self, action: Action, run: Run, **detail: Any) -> bool:
        """Whether the audit log holds ``action`` for the run (with these detail values)."""
        since = datetime.fromisoformat(run.created_at)
        return any(e.detail.get("run") == run.run_id
                   and all(e.detail.get(k) == v for k, v in detail.items())
                   for e in self.audit.events(action=action, since=since))

    def resume(self, run_id: str, *, criteria: Criteria | None = None,
               on_step: Callable[[str, str], None] | None = None,
               progress: Progress | None = None, deep: bool = True) -> Receipt:
        """Complete a run from wherever it stopped (execute, audit, verify); return the receipt.

        With the criteria and ``deep`` (the default), verification ends with the deep
        sweep of every database and file store (:mod:`dpo_workbench.sweep`): a mention
        left in a row the run acted on makes the receipt "NOT verified"; mentions
        elsewhere are listed in it for the DPO.

        A run that has a verified receipt returns it. A run whose receipt is not
        verified stays open: once its problems are fixed (a SQLite reader closed, a
        refused file removed by hand), resuming it verifies again.

        Raises
        ------
        NotFound
            There is no such run.
        JournalTampered
            The journal's stored plan was changed outside the workbench.
        ErasureIncomplete
            A database still failed; the ones before it are done.
        """
        stored = self.journal.load(run_id)
        if stored.status == FINISHED and stored.receipt is not None:
            if any(f.relative_path for f in stored.plan.files):  # stopped before it forgot them
                self.journal.forget_file_paths(run_id)
            return Receipt(stored.receipt)
        try:
            run = execute.resume(self.inst, self.journal, run_id,
                                 fingerprint_key=fingerprint_key(self.audit.key),
                                 on_step=on_step, progress=progress)
        except ErasureIncomplete as exc:
            self.record(Action.ERASURE_FAILED, criteria=criteria,
                        detail={"run": run_id, "token": exc.run.token,
                                "done": ",".join(s.database for s in exc.run.steps
                                                 if s.status == "done"),
                                "not_done": ",".join(s.database for s in exc.run.steps
                                                     if s.status != "done")})
            raise
        try:
            return self._conclude(run, criteria, progress=progress, deep=deep)
        except DatabaseError as exc:  # the audit log or a database cannot be reached now
            raise ErasureStopped(run_id, str(exc)) from None

    def _conclude(self, run: Run, criteria: Criteria | None, *, progress: Progress | None,
                  deep: bool) -> Receipt:
        """After execution: the audit events, verification and the stored receipt."""
        run_id = run.run_id
        if not self._recorded(Action.ERASURE_EXECUTED, run):
            changed = {f"{s.database}.{t}": c.get("deleted", 0) + c.get("anonymized", 0)
                       for s in run.steps for t, c in s.rows.items()}
            self.record(Action.ERASURE_EXECUTED, criteria=criteria, tables=changed,
                        detail={"run": run_id, "token": run.token,
                                "files_deleted": sum(s.file_counts().get("removed", 0)
                                                     for s in run.steps)})
        fault_point("audit.executed")
        head = self.audit.head()  # the log as it is when the receipt is written
        verified = verify_run(self.inst, run, criteria, search=self.search,
                              audit_head={"id": head.last_id, "hash": head.last_hash})
        if deep and criteria is not None:  # the deep sweep (dpo_workbench.sweep)
            verified = with_sweep(verified, sweep(self.inst, criteria, run=run,
                                                  progress=progress))
        receipt = Receipt(verified)
        fault_point("verified")
        if not self._recorded(Action.ERASURE_VERIFIED, run, verified=receipt["verified"]):
            self.record(Action.ERASURE_VERIFIED, criteria=criteria,
                        detail={"run": run_id, "token": run.token,
                                "verified": receipt["verified"],
                                "problems": len(receipt["problems"]),
                                "mentions": (receipt.get("sweep") or {}).get("mentions", 0)})
        fault_point("audit.verified")
        if not receipt["verified"]:
            # Open until verified: the paths stay, so a resume checks the files again.
            self.journal.set_status(run_id, EXECUTED, receipt)
            return receipt
        self.journal.finish(run_id, receipt)
        fault_point("receipt.stored")
        return receipt

