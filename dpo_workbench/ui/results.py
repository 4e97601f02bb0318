"""The results view: four groups of found items, ticked by default, paged on the server.

Each group is a plain ipywidgets table: a title row with the group's checkbox and
count, then one row per item of the current page (a checkbox, the shown columns
as escaped text, and a ``>`` button opening the details). Row widgets are made
once per group (a page's worth) and reused for every page and every search, so a
group of thousands of items costs the page no more than one page of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ..datamap import Group
from ..selection import RowRef
from .common import button, download_link, esc, safe
from .model import DashboardState

_WIDTHS = {"started_at": 140, "given_at": 140, "subject": 150, "remote_address": 180,
           "email_work": 180, "email": 180, "_matched": 220, "_copies": 170,
           "consent_value": 110, "direction": 60, "channel": 80, "first_name": 100,
           "last_name": 100}
_DEFAULT_WIDTH = 120
_HEADINGS = {"_matched": "matched by", "_copies": "copies in"}
_HIDDEN = ("_database", "_table", "_key", "_match_kind", "_match_column", "_span_applied")


def _columns(frame_columns: list[str]) -> list[str]:
    return [c for c in frame_columns if c not in _HIDDEN]


def _cells(values: list[tuple[str, Any]], head: bool = False) -> str:
    spans = "".join(
        f'<span style="width:{_WIDTHS.get(c, _DEFAULT_WIDTH)}px" title="{esc(v, 300)}">'
        f"{esc(v, 80)}</span>" for c, v in values)
    return f'<div class="dpo-cells{" dpo-head" if head else ""}">{spans}</div>'


class _Row:
    """One reusable table row: checkbox, cells, open button."""

    def __init__(self, check_layout: w.Layout, open_layout: w.Layout, cells_layout: w.Layout):
        self.ref: RowRef | None = None
        self.check = w.Checkbox(value=True, indent=False, layout=check_layout)
        self.check.add_class("dpo-row-check")
        self.cells = w.HTML("", layout=cells_layout)
        self.open = w.Button(description=">", tooltip="Open the details", layout=open_layout)
        self.open.add_class("dpo-open")
        self.box = w.HBox([self.check, self.open, self.cells])
        self.box.add_class("dpo-row")


class GroupTable:
    """One result group: title row with its checkbox, paged rows, pager."""

    def __init__(self, state: DashboardState, group: Group):
        self.state = state
        self.group = group
        self._syncing = False
        self._columns: list[str] = []
        self.pool: list[_Row] = []
        self._check_layout = w.Layout(width="28px")
        self._open_layout = w.Layout(width="36px")
        self._cells_layout = w.Layout(width="auto")
        self.group_check = w.Checkbox(value=True, indent=False, description=group.title,
                                      layout=w.Layout(width="auto"))
        self.group_check.add_class("dpo-group-check")
        self.group_check.observe(self._on_group_check, "value")
        self.count = w.HTML("")
        self.count.add_class("dpo-group-count")
        self.header = w.HTML("", layout=w.Layout(width="auto", margin="0 0 0 70px"))
        self.rows_box = w.VBox([])
        self.prev = button("Previous page", "dpo-prev")
        self.next = button("Next page", "dpo-next")
        self.page_label = w.HTML("")
        self.prev.on_click(safe(state, lambda _b: self._turn(-1)))
        self.next.on_click(safe(state, lambda _b: self._turn(+1)))
        self.pager = w.HBox([self.prev, self.page_label, self.next])
        self.widget = w.VBox([w.HBox([self.group_check, self.count]), self.header,
                              self.rows_box, self.pager])
        self.widget.add_class("dpo-group")
        self.widget.add_class(f"dpo-group-{group.value}")

    # -- rendering ----------------------------------------------------------------------

    def show_result(self) -> None:
        """A new result: columns, header, first page, counts."""
        frame = self.state.group_frame(self.group)
        self._columns = _columns(list(frame.columns))
        self.header.value = (_cells([(c, _HEADINGS.get(c, c.replace("_", " ")))
                                     for c in self._columns], head=True)
                             if len(frame) else "<i>Nothing found.</i>")
        self.group_check.disabled = not len(frame)
        self.show_page()

    def show_page(self) -> None:
        """Fill the reusable rows with the current page."""
        start, page = self.state.page_rows(self.group)
        refs = self.state.refs_of(self.group)[start:start + len(page)]
        while len(self.pool) < len(page):
            row = _Row(self._check_layout, self._open_layout, self._cells_layout)
            row.check.observe(self._on_row_check(row), "value")
            row.open.on_click(safe(self.state, self._on_open(row)))
            self.pool.append(row)
        records = page[self._columns].to_dict(orient="records") if len(page) else []
        self._syncing = True
        try:
            for row, ref, rec in zip(self.pool, refs, records, strict=False):
                row.ref = ref
                row.open.tooltip = f"Open the details of {ref}"
                row.cells.value = _cells([(c, rec.get(c)) for c in self._columns])
                row.check.value = self._selected(ref)
            for row in self.pool[len(page):]:
                row.ref = None  # hidden rows stand for no item: their events are ignored
        finally:
            self._syncing = False
        self.rows_box.children = [r.box for r in self.pool[:len(page)]]
        n = len(self.state.group_frame(self.group))
        pages = self.state.page_count(self.group)
        self.pager.layout.display = "flex" if pages > 1 else "none"
        if n:
            self.page_label.value = (f"&nbsp;rows {start + 1}&ndash;{start + len(page)} of {n} "
                                     f"(page {start // self.state.page_size + 1} of {pages})"
                                     "&nbsp;")
        self.show_selection()

    def show_selection(self) -> None:
        """Checkbox values and the count from the state's selection."""
        sel = self.state.selection
        total = len(self.state.refs_of(self.group))
        chosen = len(sel.selected(self.group.value)) if sel is not None and total else 0
        self._syncing = True
        try:
            self.group_check.description = f"{self.group.title} ({total})"
            self.group_check.value = bool(total) and chosen == total
            for row in self.pool:
                if row.ref is not None:
                    value = self._selected(row.ref)
                    if row.check.value != value:
                        row.check.value = value
        finally:
            self._syncing = False
        self.count.value = f"&nbsp;{chosen} of {total} selected"

    def _selected(self, ref: RowRef) -> bool:
        sel = self.state.selection
        return sel is not None and sel.is_selected(ref)

    # -- events -------------------------------------------------------------------------

    def _on_row_check(self, row: _Row) -> Callable[[Any], None]:
        def changed(change: Any) -> None:
            if self._syncing or row.ref is None:
                return
            safe(self.state, self.state.set_selected)(row.ref, bool(change["new"]))
            self.show_selection()  # a refused change is undone in the page

        return changed

    def _on_group_check(self, change: Any) -> None:
        if self._syncing:
            return
        safe(self.state, self.state.set_group_selected)(self.group, bool(change["new"]))
        self.show_selection()

    def _on_open(self, row: _Row) -> Callable[[Any], None]:
        def clicked(_b: Any) -> None:
            if row.ref is None:
                return
            self.state.open_details(row.ref)

        return clicked

    def _turn(self, step: int) -> None:
        self.state.set_page(self.group, self.state.pages.get(self.group.value, 0) + step)


class ResultsView:
    """The four groups, the way back, the report and the delete buttons."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.back = button("<", "dpo-back", tooltip="Back to the criteria", width="40px")
        self.back.on_click(safe(state, lambda _b: state.back_to_criteria()))
        self.summary = w.HTML("")
        self.summary.add_class("dpo-summary")
        self.receipt = w.HTML("")
        self.receipt.add_class("dpo-receipt-box")
        self.groups = {g: GroupTable(state, g) for g in Group}
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
        self.download = w.HTML("")
        self.download.add_class("dpo-download-box")
        self.widget = w.VBox([
            w.HBox([self.back, self.summary]), self.receipt,
            *[t.widget for t in self.groups.values()],
            w.HBox([self.report_csv, self.report_zip, self.delete]), self.download,
        ])
        self.widget.add_class("dpo-results-view")
        state.observe(self._on_result, "result")
        state.observe(self._on_selection, "selection")
        state.observe(self._on_pages, "pages")
        state.observe(self._on_receipt, "receipt_text")
        state.observe(self._busy, "busy")

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
        self.state.say(f"The report is ready: {label}.", "success")

    def _busy(self, change: Any) -> None:
        for b in (self.report_csv, self.report_zip, self.delete, self.back):
            b.disabled = bool(change["new"])

    def _on_result(self, change: Any) -> None:
        self.download.value = ""
        r = change["new"]
        if r is None:
            self.summary.value = ""
            return
        self.summary.value = (f"&nbsp;<b>{r.total} item{'s' if r.total != 1 else ''} found</b> "
                              f"by {esc(r.criteria.describe())}")
        for t in self.groups.values():
            t.show_result()

    def _on_selection(self, _change: Any) -> None:
        self.download.value = ""  # a report of another selection must not be saved by mistake
        for t in self.groups.values():
            t.show_selection()

    def _on_pages(self, change: Any) -> None:
        old = change["old"] if isinstance(change["old"], dict) else {}
        new = change["new"] if isinstance(change["new"], dict) else {}
        for g, t in self.groups.items():
            if old.get(g.value) != new.get(g.value) and self.state.result is not None:
                t.show_page()

    def _on_receipt(self, change: Any) -> None:
        text = change["new"]
        self.receipt.value = f'<pre class="dpo-receipt">{esc(text)}</pre>' if text else ""
