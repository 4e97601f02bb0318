"""The results view: a toolbar, where the data lives, and four tables of found items.

Each group is a table: a title row (the group's three-state checkbox, the count, a
filter box and a pager), a header of sortable column labels, the rows of the current
page, and a pager again. The header and every row share one CSS grid column
template, so the labels stand over their cells; below the template's least width the
table scrolls sideways inside its group instead of cutting columns off. Filtering
and sorting happen in the kernel (:class:`~dpo_workbench.ui.tablemodel.GroupRows`);
row widgets are made once per group (a page's worth) and reused for every page,
sort, filter and search, so a group of thousands of items costs the page no more
than one page of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from ..datamap import Group
from ..selection import RowRef
from .common import button, download_link, esc, safe
from .model import DashboardState
from .summary import where_html

CHECK_WIDTH = "30px"
OPEN_WIDTH = "76px"
_FIXED_PX = 30 + 76 + 8  # check, open button and their margins


def _cells(texts: list[str], template: str) -> str:
    cells = "".join(f'<div class="dpo-cell">{esc(t)}</div>' for t in texts)
    return f'<div class="dpo-cells" style="grid-template-columns: {template}">{cells}</div>'


class _RowParts:
    """The layouts and styles every row of a group shares: a row is four widget models
    in the page, not eleven (the page loads a few hundred rows' models at once)."""

    def __init__(self) -> None:
        self.check = w.Layout(width=CHECK_WIDTH)
        self.open = w.Layout(width=OPEN_WIDTH)
        self.cells = w.Layout(flex="1 1 0", min_width="0", margin="0")
        self.box = w.Layout()
        self.check_style = CheckboxStyle()
        self.open_style = w.ButtonStyle()
        self.cells_style = HTMLStyle()


class _Row:
    """One reusable table row: checkbox, details button, cells."""

    def __init__(self, parts: _RowParts) -> None:
        self.ref: RowRef | None = None
        self.check = w.Checkbox(value=True, indent=False, layout=parts.check,
                                style=parts.check_style)
        self.check.add_class("dpo-row-check")
        self.open = w.Button(description="Details", tooltip="Open the details",
                             layout=parts.open, style=parts.open_style)
        self.open.add_class("dpo-open")
        self.cells = w.HTML("", layout=parts.cells, style=parts.cells_style)
        self.cells.add_class("dpo-row-cells")
        self.box = w.HBox([self.check, self.open, self.cells], layout=parts.box)
        self.box.add_class("dpo-row")


class _Pager:
    """Previous page, where we are, next page (shown above and below a group)."""

    def __init__(self, state: DashboardState, turn: Callable[[int], None], where: str):
        self.prev = button("Previous page", "dpo-prev")
        self.next = button("Next page", "dpo-next")
        self.label = w.HTML("")
        self.label.add_class("dpo-page-label")
        self.prev.on_click(safe(state, lambda _b: turn(-1)))
        self.next.on_click(safe(state, lambda _b: turn(+1)))
        self.box = w.HBox([self.prev, self.label, self.next])
        self.box.add_class("dpo-pager")
        self.box.add_class(f"dpo-pager-{where}")


class GroupTable:
    """One result group: title row, filter, pagers, sortable header and pooled rows."""

    def __init__(self, state: DashboardState, group: Group):
        self.state = state
        self.group = group
        self._syncing = False
        self._columns: list[str] = []
        self._template = ""
        self.pool: list[_Row] = []
        self._parts = _RowParts()
        self.group_check = w.Checkbox(value=True, indent=False, description=group.title,
                                      layout=w.Layout(width="auto"))
        self.group_check.add_class("dpo-group-check")
        self.group_check.observe(self._on_group_check, "value")
        self.count = w.HTML("")
        self.count.add_class("dpo-group-count")
        self.filter = w.Text(placeholder="Filter: rows containing... (Enter)",
                             continuous_update=False, layout=w.Layout(width="260px"))
        self.filter.add_class("dpo-filter")
        self.filter.observe(self._on_filter, "value")
        self.tick_shown = button("Tick these", "dpo-tick-shown",
                                 tooltip="Tick the rows that pass the filter")
        self.untick_shown = button("Untick these", "dpo-untick-shown",
                                   tooltip="Untick the rows that pass the filter")
        self.tick_shown.on_click(safe(state, lambda _b: self._shown(True)))
        self.untick_shown.on_click(safe(state, lambda _b: self._shown(False)))
        self.top = _Pager(state, self._turn, "top")
        self.bottom = _Pager(state, self._turn, "bottom")
        # The pager above the rows answers to the names the tests and docs use.
        self.prev, self.next, self.page_label, self.pager = (
            self.top.prev, self.top.next, self.top.label, self.top.box)
        self.title_row = w.HBox([self.group_check, self.count, self.filter, self.tick_shown,
                                 self.untick_shown, self.top.box])
        self.title_row.add_class("dpo-group-title")
        self.head = w.GridBox([], layout=w.Layout(flex="1 1 0", min_width="0", margin="0"))
        self.head.add_class("dpo-head")
        self.header = w.HBox([w.HTML("", layout=w.Layout(width=CHECK_WIDTH)),
                              w.HTML("", layout=w.Layout(width=OPEN_WIDTH)), self.head])
        self.header.add_class("dpo-header-row")
        self.rows_box = w.VBox([])
        self.rows_box.add_class("dpo-rows")
        self.no_match = w.HTML("")
        self.table = w.VBox([self.header, self.rows_box])
        self.table.add_class("dpo-table")
        self.widget = w.VBox([self.title_row, self.table, self.bottom.box])
        self.widget.add_class("dpo-group")
        self.widget.add_class(f"dpo-group-{group.value}")

    # -- rendering ----------------------------------------------------------------------

    def show_result(self) -> None:
        """A new result (or new texts): columns, header, first page, counts."""
        state = self.state
        found = len(state.refs_of(self.group))
        rows = state.rows(self.group)
        self._columns = list(rows.columns)
        self._template = rows.template()
        least = f"{rows.least_width() + _FIXED_PX}px"
        self.header.layout.min_width = self._parts.box.min_width = least
        self.head.layout.grid_template_columns = self._template
        self.show_header()
        self.group_check.disabled = not found
        self._syncing = True
        try:
            if self.filter.value != state.filters.get(self.group.value, ""):
                self.filter.value = state.filters.get(self.group.value, "")
        finally:
            self._syncing = False
        for part in (self.filter, self.table):
            part.layout.display = "flex" if found else "none"
        self.show_page()

    def show_header(self) -> None:
        """The column labels as buttons that sort; the sorted one says which way."""
        state = self.state
        labels = state.labels
        sort = state.sorts.get(self.group.value) or [None, True]
        heads = list(self.head.children)
        while len(heads) < len(self._columns):
            b = w.Button(layout=w.Layout(width="auto", margin="0"))
            b.add_class("dpo-sort")
            b.on_click(safe(state, self._on_sort(len(heads))))
            heads.append(b)
        for b, column in zip(heads, self._columns, strict=False):
            label = labels.group_column(self.group, column) if labels else column
            if state.technical and not column.startswith("_"):
                label = f"{label} ({column})"
            mark = ""
            if sort[0] == column:
                mark = " \u25b2" if sort[1] else " \u25bc"
            b.description = label + mark
            b.tooltip = (f"Sorted {'ascending' if sort[1] else 'descending'}: click to reverse"
                         if mark else f"Sort by {label}")
            for cls in ("dpo-sorted-asc", "dpo-sorted-desc"):
                b.remove_class(cls)
            if mark:
                b.add_class("dpo-sorted-asc" if sort[1] else "dpo-sorted-desc")
        self.head.children = heads[:len(self._columns)]

    def show_page(self) -> None:
        """Fill the reusable rows with the current page."""
        state = self.state
        start, items = state.page_items(self.group)
        self.grow(len(items))
        self._syncing = True
        try:
            for row, (ref, texts) in zip(self.pool, items, strict=False):
                row.ref = ref
                row.open.tooltip = f"Open the details of {ref}"
                row.cells.value = _cells(texts, self._template)
                row.check.value = self._selected(ref)
            for row in self.pool[len(items):]:
                row.ref = None  # hidden rows stand for no item: their events are ignored
        finally:
            self._syncing = False
        self.rows_box.children = [r.box for r in self.pool[:len(items)]]
        shown = state.shown_count(self.group)
        found = len(state.refs_of(self.group))
        pages = state.page_count(self.group)
        filtered = bool(state.filters.get(self.group.value))
        for p in (self.top, self.bottom):
            p.box.layout.display = "flex" if pages > 1 else "none"
            p.prev.disabled = start == 0
            p.next.disabled = start + len(items) >= shown
            if shown:
                of = f"{shown} shown of {found}" if filtered else f"{found}"
                p.label.value = (f"&nbsp;rows {start + 1}&ndash;{start + len(items)} of {of} "
                                 f"(page {start // state.page_size + 1} of {pages})&nbsp;")
            else:
                p.label.value = ""
        for b in (self.tick_shown, self.untick_shown):
            b.layout.display = "flex" if filtered and shown else "none"
        if filtered and not shown:
            self.no_match.value = (f"<i>No row of this group contains &ldquo;"
                                   f"{esc(state.filters[self.group.value])}&rdquo;.</i>")
            self.rows_box.children = [self.no_match]
        self.show_selection()

    def grow(self, n: int) -> None:
        """Have at least ``n`` reusable rows (made once, kept for every page and search)."""
        while len(self.pool) < n:
            row = _Row(self._parts)
            row.check.observe(self._on_row_check(row), "value")
            row.open.on_click(safe(self.state, self._on_open(row)))
            self.pool.append(row)

    def show_selection(self) -> None:
        """Checkbox values and the count from the state's selection."""
        state = self.state
        sel = state.selection
        total = len(state.refs_of(self.group))
        chosen = len(sel.selected(self.group.value)) if sel is not None and total else 0
        partly = 0 < chosen < total
        self._syncing = True
        try:
            self.group_check.description = f"{self.group.title} ({total})"
            # A partly ticked group keeps the value True and shows a dash (CSS): a click
            # unticks the whole group; it never ticks back what the DPO left out.
            self.group_check.value = bool(chosen)
            for row in self.pool:
                if row.ref is not None:
                    value = self._selected(row.ref)
                    if row.check.value != value:
                        row.check.value = value
        finally:
            self._syncing = False
        if partly:
            self.group_check.add_class("dpo-partly")
            self.group_check.tooltip = ("Partly ticked: click to untick the whole group, "
                                        "click again to tick it all")
        else:
            self.group_check.remove_class("dpo-partly")
            self.group_check.tooltip = ("Untick the whole group" if chosen
                                        else "Tick the whole group")
        self.count.value = (f"&nbsp;{chosen} of {total} selected" if total
                            else "&nbsp;none found")

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

    def _on_filter(self, change: Any) -> None:
        if self._syncing:
            return
        safe(self.state, self.state.filter_group)(self.group, change["new"] or "")

    def _on_sort(self, index: int) -> Callable[[Any], None]:
        def clicked(_b: Any) -> None:
            if index < len(self._columns):
                self.state.sort_by(self.group, self._columns[index])

        return clicked

    def _shown(self, selected: bool) -> None:
        self.state.set_shown_selected(self.group, selected)

    def _on_open(self, row: _Row) -> Callable[[Any], None]:
        def clicked(_b: Any) -> None:
            if row.ref is None:
                return
            self.state.open_details(row.ref)

        return clicked

    def _turn(self, step: int) -> None:
        self.state.set_page(self.group, self.state.pages.get(self.group.value, 0) + step)


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
        if change["new"] is not None and self.state.view != "results":
            # Drawn when shown: the too-many warning (or the receipt's search) first,
            # without a thousand rows' updates ahead of it in the page's queue.
            self._stale = True
            return
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
