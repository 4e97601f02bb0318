"""The dashboard's state: a widget-free traitlets model that calls the library.

:class:`DashboardState` holds what the DPO sees (which view, the search result,
the selection, the opened item, the armed erasure plan, the status line) and
does every action. The widgets in :mod:`dpo_workbench.ui.app` only show these
traits and call these methods. Every action first passes the session's guard
(:class:`~dpo_workbench.ui.session.Session`); erasing also checks that a plan is
armed, that it still matches the selection, and that the typed confirmation is
the plan's token (the library's rule). A refused action raises
:class:`~dpo_workbench.errors.ActionRefused` and changes nothing.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, List, Unicode

from ..criteria import FIELDS, Criteria
from ..datamap import Group
from ..errors import (
    ActionRefused,
    ConfirmationError,
    ErasureIncomplete,
    InvalidCriteria,
    PlanChanged,
)
from ..files import FileInfo
from ..selection import RowRef, Selection
from ..workbench import Workbench
from .labels import Labels
from .session import Session
from .tablemodel import GroupRows
from .tableviews import TableViews

#: The criteria fields of the form, in the order shown.
CRITERIA_FIELDS = FIELDS
#: What a file can be opened for, as the audit log names it.
FILE_ACTIONS = ("play", "show", "download")
_SHOWABLE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class DashboardState(TableViews, Session):
    """What the DPO dashboard shows, and every action it can take.

    Parameters are those of :class:`~dpo_workbench.ui.session.Session`.

    Examples
    --------
    >>> state = DashboardState("demo-install/workbench.yaml")      # doctest: +SKIP
    >>> state.log_on("dpo", "dpo-demo")                            # doctest: +SKIP
    >>> state.search(phone="+358 40 123 4567")                     # doctest: +SKIP
    >>> state.view, state.result.counts()                          # doctest: +SKIP
    ('results', {'contacts': 13, ...})
    """

    criteria_problems = Dict()  # field -> message, from InvalidCriteria.problems
    result = AnyTrait(None)  # SearchResult of the last search
    selection = AnyTrait(None)  # Selection (immutable: every change sets a new one)
    pages = Dict()  # group name -> page shown (from 0)
    sorts = Dict()  # group name -> [column, ascending] the group is sorted by
    filters = Dict()  # group name -> the text the group's rows are filtered by
    #: Show technical names (database.table#key, column names) besides the labels.
    technical = Bool(False)
    #: Why the items shown are ticked as they are (after an erasure: none are).
    selection_note = Unicode("")
    details = AnyTrait(None)  # Details of the opened item
    plan = AnyTrait(None)  # the armed ErasurePlan
    plan_text = Unicode("")
    receipt_text = Unicode("")
    receipt = AnyTrait(None)  # the receipt (dict) of the last erasure, shown above the results
    unfinished = List()  # [(run_id, story)] of interrupted erasure runs

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.criteria: Criteria | None = None
        self._rows: dict[str, GroupRows] = {}  # group name -> shown texts and order
        self._labels: Labels | None = None

    @property
    def labels(self) -> Labels | None:
        """The datamap's labels (None before log-on)."""
        if self._labels is None and self._wb is not None:
            self._labels = Labels(self._wb.installation.datamap)
        return self._labels

    def _clear_work(self) -> None:
        """Forget the search, the selection, the opened item and the armed plan."""
        self.plan, self.plan_text = None, ""
        self.details = None
        self.selection = None
        self.result = None
        self.receipt_text = ""
        self.receipt = None
        self.selection_note = ""
        self._rows = {}
        self.pages, self.sorts, self.filters = {}, {}, {}
        self.criteria = None

    def _forget(self) -> None:
        self._clear_work()
        self.criteria_problems = {}
        self.unfinished = []

    # -- searching ----------------------------------------------------------------------

    def search(self, **fields: Any) -> None:
        """Validate the criteria as typed and search.

        ``fields`` are the form's values (:data:`CRITERIA_FIELDS`); an empty text is
        no criterion. Broken rules fill :attr:`criteria_problems` and raise
        :class:`~dpo_workbench.errors.InvalidCriteria`; nothing is searched.
        """
        wb = self._guard()
        unknown = set(fields) - set(CRITERIA_FIELDS)
        self._require(not unknown, "Unknown search field.")
        raw = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
        raw = {k: v for k, v in raw.items() if v not in (None, "")}
        try:
            criteria = wb.criteria(**raw)
        except InvalidCriteria as exc:
            self.criteria_problems = dict(exc.problems)
            raise
        self.criteria_problems = {}
        self._run_search(criteria)

    def _run_search(self, criteria: Criteria) -> None:
        wb = self._guard()
        self._clear_work()
        self.progress, self.progress_text = 0.0, "searching"
        result = wb.search(criteria, progress=self.on_progress)
        self.criteria = result.criteria
        # The views draw the rows when the result is set: selection and pages first.
        self._rows = {}
        self.pages = {g.value: 0 for g in Group}
        self.selection = Selection.all(result)
        self.result = result
        self.progress, self.progress_text = 1.0, ""
        # The view says what was found (the count, or the advice to narrow): no status.
        self.say("")
        self.view = "too_many" if result.too_many else "results"

    def show_results_anyway(self) -> None:
        """Go on to the results after the too-many warning."""
        self._guard()
        self._require(self.result is not None and self.view == "too_many",
                      "There is no search result to show.")
        self.view = "results"
        self.say("")

    def back_to_criteria(self) -> None:
        """Leave the result (forgetting it) for the criteria form."""
        self._guard()
        self._clear_work()
        self.view = "criteria"
        self.refresh_unfinished()
        self.say("")

    # -- results and selection ----------------------------------------------------------

    def group_frame(self, group: Group | str) -> pd.DataFrame:
        """The found items of one group (an empty frame before a search)."""
        if self.result is None:
            return pd.DataFrame()
        return self.result.groups[Group(group)]

    def set_page(self, group: Group | str, page: int) -> None:
        """Show another page of a group (clamped to the pages there are)."""
        self._guard()
        g = Group(group)
        page = max(0, min(int(page), self.page_count(g) - 1))
        self.pages = {**self.pages, g.value: page}

    def refs_of(self, group: Group | str) -> tuple[RowRef, ...]:
        if self.selection is None:
            return ()
        return tuple(self.selection.groups.get(Group(group).value, ()))

    def _known(self, ref: RowRef) -> None:
        self._require(self.selection is not None
                      and any(ref in refs for refs in self.selection.groups.values()),
                      "That item is not part of the current search result.")

    def _disarm(self) -> None:
        # An armed plan was made for the old selection: it must be made again.
        if self.plan is not None:
            self.plan, self.plan_text = None, ""
            if self.view == "erase":
                self.view = "results"

    def set_selected(self, ref: RowRef, selected: bool) -> None:
        """Tick or untick one found item."""
        self._guard()
        self._known(ref)
        self._disarm()
        self.selection_note = ""
        self.selection = self.selection.set(ref, bool(selected))

    def set_group_selected(self, group: Group | str, selected: bool) -> None:
        """Tick or untick every item of a group."""
        self._guard()
        self._require(self.selection is not None, "Search first.")
        g = Group(group)
        self._disarm()
        sel = self.selection
        self.selection_note = ""
        self.selection = sel.select_group(g.value) if selected else sel.unselect_group(g.value)

    def set_shown_selected(self, group: Group | str, selected: bool) -> None:
        """Tick or untick the group's items that pass its filter."""
        self._guard()
        self._require(self.selection is not None, "Search first.")
        refs = self.shown_refs(group)
        self._disarm()
        self.selection_note = ""
        sel = self.selection
        self.selection = sel.select(*refs) if selected else sel.unselect(*refs)

    def group_state(self, group: Group | str) -> bool | None:
        """True when every item of the group is ticked, False when none, None when some."""
        if self.selection is None or not self.refs_of(group):
            return False
        return self.selection.group_state(Group(group).value)

    # -- details and files --------------------------------------------------------------

    def open_details(self, ref: RowRef) -> None:
        """Read everything about one found item and show it."""
        wb = self._guard()
        self._known(ref)
        self.details = wb.details(ref)
        self.view = "details"
        self.say("")

    def close_details(self) -> None:
        """Back from the details to the results."""
        self._guard()
        self.details = None
        self.view = "results" if self.result is not None else "criteria"

    def read_file(self, info: FileInfo, action: str, reason: str | None = None) -> bytes:
        """The content of a file of the opened item, for playing, showing or downloading.

        Every read is audit-logged (by the Workbench), which also applies the rule
        on ``reason``: required for playing when the settings say
        ``access: {require_listen_reason: true}``, never personal data.
        """
        wb = self._guard()
        self._require(action in FILE_ACTIONS, "Unknown file action.")
        self._require(self.details is not None and info in self.details.files,
                      "That file does not belong to the opened item.")
        self._require(info.exists, f"The file cannot be opened: {info.problem or 'missing'}.")
        if action == "show" and info.media_type not in _SHOWABLE_IMAGES:
            action = "download"  # only plain images are shown in the page
        return bytes(wb.read_file(info, action, reason=reason))

    @property
    def listen_reason_required(self) -> bool:
        """Whether playing a recording needs a reason (the installation's access rules)."""
        return self.settings.access.require_listen_reason

    @staticmethod
    def showable(info: FileInfo) -> bool:
        """True for images the page shows (other files are downloaded)."""
        return info.media_type in _SHOWABLE_IMAGES

    # -- report -------------------------------------------------------------------------

    def _report_name(self, ext: str) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return f"dpo-report-{stamp}.{ext}"

    def report(self, fmt: str) -> tuple[str, bytes]:
        """The report of the selected items as ``(file name, bytes)``; fmt csv or zip."""
        wb = self._guard()
        self._require(fmt in ("csv", "zip"), "Unknown report format.")
        self._require(self.selection is not None, "Search first.")
        self._require(len(self.selection) > 0, "Nothing is selected: tick the items to report.")
        self.progress, self.progress_text = 0.0, "reading the selected items"
        data = self._report_here(wb, fmt)
        self.progress, self.progress_text = 1.0, ""
        return self._report_name(fmt), bytes(data)

    def _report_here(self, wb: Workbench, fmt: str) -> bytes:
        # In memory: a report on disk could outlive the session (and Voila must not serve
        # it). The Workbench records the report in the audit log.
        buf = io.BytesIO()
        wb.report(self.selection, criteria=self.criteria, out=buf, fmt=fmt,
                  progress=self.on_progress)
        return buf.getvalue()

    # -- erasure ------------------------------------------------------------------------

    def prepare_erasure(self) -> None:
        """Plan the erasure of the selected items (a dry run) and arm it."""
        wb = self._guard()
        self._require(self.selection is not None and self.view == "results",
                      "Search and review the results first.")
        self._require(len(self.selection) > 0, "Nothing is selected: nothing to delete.")
        plan = wb.plan_erasure(self.selection, criteria=self.criteria)
        self.plan_text = plan.describe()  # before the plan: the view shows both when armed
        self.plan = plan
        self.view = "erase"
        self.say("Read what will be deleted or anonymized, then type the confirmation token.")

    def cancel_erasure(self) -> None:
        """Disarm the plan; nothing is changed."""
        self._guard()
        self.plan, self.plan_text = None, ""
        self.view = "results" if self.result is not None else "criteria"
        self.say("Nothing was deleted.")

    def erase(self, typed: str) -> dict[str, Any]:
        """Execute the armed plan when ``typed`` is its token; verify; search again.

        Returns the receipt. Raises :class:`ActionRefused` (nothing changed) when no plan is
        armed, the selection changed since, or ``typed`` is not the plan's token.
        """
        from ..erasure.verify import summarize

        wb = self._guard()
        plan = self.plan
        self._require(plan is not None and self.view == "erase",
                      "No erasure is prepared: press Delete and read the plan first.")
        self._require(self.selection is not None
                      and tuple(self.selection.selected()) == tuple(plan.items),
                      "The selection changed after the plan was made: make the plan again.")
        plan_text = self.plan_text
        self.plan, self.plan_text = None, ""  # one plan, one run: a second click does nothing
        self.progress, self.progress_text = 0.0, "erasing"
        try:
            # The library checks the token, plans again and refuses a changed world.
            receipt = wb.erase(plan, typed, criteria=self.criteria, progress=self.on_progress)
        except PlanChanged as exc:
            self._show_changed(exc.plan)
            raise ActionRefused(str(exc)) from None
        except ConfirmationError:
            self.plan_text, self.plan = plan_text, plan  # still armed: type the token again
            raise
        except ErasureIncomplete as exc:
            self.refresh_unfinished()
            self.view = "criteria"
            self.result, self.selection = None, None
            raise ActionRefused("The erasure stopped part-way; resume it below. "
                                f"{exc.run.story()}") from None
        text = summarize(receipt)
        criteria = self.criteria
        assert criteria is not None
        left_out = set(plan.excluded)
        self._run_search(criteria)
        self._untick_after_erasure(left_out)
        self.receipt_text = text
        self.receipt = receipt
        verified = receipt.get("verified")
        self.say(f"Erased and {'verified' if verified else 'NOT verified'}. Searched again: "
                 f"{self.result.total} item{'s' if self.result.total != 1 else ''} found.",
                 "success" if verified else "error")
        return receipt

    def _untick_after_erasure(self, left_out: set[RowRef]) -> None:
        """After an erasure nothing is ticked: what is still found was left out on
        purpose (or is new); it must not stand ticked next to Delete again."""
        sel = self.selection
        assert sel is not None and self.result is not None
        found = [r for refs in sel.groups.values() for r in refs]
        self.selection = sel.unselect(*found)
        if not found:
            self.selection_note = ""
            return
        kept = sum(1 for r in found if r in left_out)
        new = len(found) - kept
        parts = []
        if kept:
            parts.append(f"{kept} item{'s' if kept != 1 else ''} you left out of the erasure")
        if new:
            parts.append(f"{new} item{'s' if new != 1 else ''} not in the erased selection")
        self.selection_note = (
            f"Still found: {' and '.join(parts)}. They are shown unticked, so that nothing "
            "you left out is deleted by mistake: tick what you want to report or delete.")

    def _show_changed(self, fresh: Any) -> None:
        """Show the data as it is now, the same items left out, and arm the new plan."""
        left_out = self.selection.deselected if self.selection is not None else frozenset()
        assert self.criteria is not None
        self._run_search(self.criteria)
        known = {r for refs in self.selection.groups.values() for r in refs}
        self.selection = self.selection.unselect(*[r for r in left_out if r in known])
        self.plan_text = fresh.describe()
        self.plan = fresh  # read it, confirm its token
        self.view = "erase"

    def refresh_unfinished(self) -> None:
        """List the interrupted erasure runs of the journal."""
        if not self.logged_on:
            self.unfinished = []
            return
        wb = self._wb
        assert wb is not None  # logged_on says so
        self.unfinished = wb.journal.stories()

    def resume(self, run_id: str) -> dict[str, Any]:
        """Complete an interrupted erasure run; return its receipt."""
        from ..erasure.verify import summarize

        wb = self._guard()
        self._require(run_id in {r for r, _ in self.unfinished},
                      "That erasure run is not waiting to be resumed.")
        try:
            receipt = wb.resume_erasure(run_id, progress=self.on_progress)
        except ErasureIncomplete as exc:
            self.refresh_unfinished()
            raise ActionRefused(f"The erasure is still not complete. {exc.run.story()}") from None
        finally:
            self.refresh_unfinished()
        self.receipt_text = summarize(receipt)
        self.say("The interrupted erasure is complete.", "success")
        return receipt

