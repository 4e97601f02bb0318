"""One result group as a table: a title row, a sortable header, pooled rows, pagers.

The header and every row share one CSS grid column template, so the labels stand
over their cells; below the template's least width the table scrolls sideways
inside its group instead of cutting columns off. Filtering and sorting happen in the
kernel (:class:`~dpo_workbench.ui.tablemodel.GroupRows`); row widgets are made once
per group (a page's worth) and reused for every page, sort, filter and search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from ..datamap import Group
from ..selection import RowRef
from .common import button, esc, safe
from .model import DashboardState

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
