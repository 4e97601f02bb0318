"""The results view: a toolbar, where the data lives, and four tables of found items.

Each group is a :class:`~dpo_workbench.ui.grouptable.GroupTable`: a title row (the
group's three-state checkbox, the count, a filter box and a pager), a header of
sortable column labels, the rows of the current page, and a pager again. A group of
thousands of items costs the page no more than one page of them.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..datamap import Group
from .common import button, download_link, esc, safe
from .grouptable import GroupTable
from .model import DashboardState
from .summary import where_html

__all__ = ["GroupTable", "ResultsView"]

class ResultsView:
    """The toolbar (back, count, report, delete, technical details), where the data
    lives, the receipt of an erasure, and the four groups."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.back = button("<", "dpo-back", tooltip="Back to the criteria", width="40px")
        self.back.on_click(safe(state, lambda _b: state.back_to_criteria()))
        self.summary = w.HTML("")
        self.summary.add_class("dpo-summary")
        self.report_csv = button("Create Report", "dpo-report-csv", style="primary",
                                 tooltip="A CSV file of everything about the selected items")
        self.report_zip = button("Report with attachments (zip)", "dpo-report-zip",
                                 tooltip="The CSV, a JSON file and every file of the selected "
                                         "items in one zip")
        self.delete = button("Delete...", "dpo-delete", style="danger",
                             tooltip="Plan the erasure of the selected items")
        self.report_csv.on_click(safe(state, lambda _b: self.make_report("csv")))
        self.report_zip.on_click(safe(state, lambda _b: self.make_report("zip")))
        self.delete.on_click(safe(state, lambda _b: state.prepare_erasure()))
        self.technical = w.Checkbox(value=False, description="Technical details", indent=False,
                                    layout=w.Layout(width="auto"))
        self.technical.add_class("dpo-technical")
        self.technical.observe(self._on_technical_box, "value")
        self.toolbar = w.HBox([self.back, self.summary, self.report_csv, self.report_zip,
                               self.delete, self.technical])
        self.toolbar.add_class("dpo-toolbar")
        #: The status line sits here while this view is shown (beside the buttons).
        self.message_slot = w.HBox([])
        self.message_slot.add_class("dpo-message-slot")
        self.download = w.HTML("")
        self.download.add_class("dpo-download-box")
        self.receipt = w.HTML("")
        self.receipt.add_class("dpo-receipt-box")
        self.note = w.HTML("")
        self.note.add_class("dpo-selection-note")
        self.empty = w.HTML("")
        self.empty.add_class("dpo-nothing-found")
        self.where = w.HTML("")
        self.where.add_class("dpo-where")
        self.groups = {g: GroupTable(state, g) for g in Group}
        self.groups_box = w.VBox([t.widget for t in self.groups.values()])
        self.widget = w.VBox([
            self.toolbar, w.HBox([self.message_slot, self.download]), self.receipt, self.note,
            self.empty, self.where, self.groups_box,
        ])
        self.widget.add_class("dpo-results-view")
        self._stale = False  # a result came while another view was shown
        state.observe(self._on_result, "result")
        state.observe(self._on_view, "view")
        state.observe(self._on_selection, "selection")
        state.observe(self._on_pages, ["pages", "sorts", "filters"])
        state.observe(self._on_receipt, ["receipt", "receipt_text"])
        state.observe(self._on_note, "selection_note")
        state.observe(self._on_technical, "technical")
        state.observe(self._busy, "busy")
        if state.result is not None:  # built after the search (views are built when shown)
            self._on_result({"new": state.result})
            self.technical.value = state.technical
            self._on_receipt(None)
            self._on_note({"new": state.selection_note})
        self._actions()

    def make_report(self, fmt: str) -> None:
        """Build the report in the kernel and offer it as a download link."""
        self.download.value = ""
        self.state.busy = True
        try:
            name, data = self.state.report(fmt)
        finally:
            self.state.busy = False
        label = f"Save {name} ({len(data):,} bytes)"
        self.download.value = download_link(name, data, label, css=f"dpo-download-{fmt}")
        self.state.say("The report is ready:", "success")

    def _actions(self) -> None:
        """Report and Delete only when something is selected and nothing runs."""
        s = self.state
        nothing = s.selection is None or len(s.selection) == 0
        for b in (self.report_csv, self.report_zip, self.delete):
            b.disabled = bool(s.busy) or nothing
        self.back.disabled = bool(s.busy)

    def _busy(self, _change: Any) -> None:
        self._actions()

    def _on_result(self, change: Any) -> None:
        self.download.value = ""
        # Drawn at once, before the view shows it: the page never shows the results
        # view without its rows.
        self._draw(change["new"])

    def _on_view(self, change: Any) -> None:
        if change["new"] == "results" and self._stale:
            self._stale = False
            self._draw(self.state.result)

    def _draw(self, r: Any) -> None:
        """Show a result: the summary, the chart, every group's first page."""
        self._stale = False
        if r is None:
            self.summary.value = self.empty.value = self.where.value = ""
            return
        self.summary.value = (f"&nbsp;<b>{r.total} item{'s' if r.total != 1 else ''} found</b> "
                              f"by {esc(r.criteria.describe())}&nbsp;")
        if r.total == 0:
            self.empty.value = (f"<p><b>Nothing found for {esc(r.criteria.describe())}.</b> "
                                "Go back to the criteria to search otherwise.</p>")
            self.groups_box.layout.display = "none"
            self.where.value = ""
        else:
            self.empty.value = ""
            self.groups_box.layout.display = "flex"
            self.where.value = where_html(r, self.state.labels, self.state.technical)
        for t in self.groups.values():
            t.show_result()
        self._actions()

    def _on_selection(self, _change: Any) -> None:
        self.download.value = ""  # a report of another selection must not be saved by mistake
        if self._stale:
            return
        for t in self.groups.values():
            t.show_selection()
        self._actions()

    def _on_pages(self, change: Any) -> None:
        if self.state.result is None or self._stale:
            return
        old = change["old"] if isinstance(change["old"], dict) else {}
        new = change["new"] if isinstance(change["new"], dict) else {}
        for g, t in self.groups.items():
            if old.get(g.value) != new.get(g.value):
                if change["name"] == "sorts":
                    t.show_header()
                t.show_page()

    def _on_receipt(self, _change: Any) -> None:
        from .erase import receipt_html

        s = self.state
        if s.receipt is not None:
            self.receipt.value = receipt_html(s.receipt, s.labels, s.technical)
        elif s.receipt_text:
            self.receipt.value = f'<pre class="dpo-receipt">{esc(s.receipt_text)}</pre>'
        else:
            self.receipt.value = ""

    def _on_note(self, change: Any) -> None:
        text = change["new"]
        self.note.value = f'<div class="dpo-note">{esc(text)}</div>' if text else ""

    def _on_technical_box(self, change: Any) -> None:
        if change["new"] != self.state.technical:
            safe(self.state, self.state.set_technical)(bool(change["new"]))
            if self.technical.value != self.state.technical:
                self.technical.value = self.state.technical  # refused: shown as it is

    def _on_technical(self, change: Any) -> None:
        self.technical.value = bool(change["new"])
        r = self.state.result
        if r is not None and self.state.view not in ("results", "details", "erase"):
            self._stale = True
        elif r is not None:
            self.where.value = where_html(r, self.state.labels, self.state.technical) \
                if r.total else ""
            for t in self.groups.values():
                t.show_result()
        self._on_receipt(None)
