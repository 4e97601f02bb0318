"""How the results' tables show a group: the DPO's sort, filter and page, in the kernel.

:class:`TableViews` is part of :class:`~dpo_workbench.ui.model.DashboardState` (its
``sorts``, ``filters``, ``pages`` and ``technical`` traits live there): it keeps one
:class:`~dpo_workbench.ui.tablemodel.GroupRows` per group, made once per result, and
gives the widgets one page of it at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..datamap import Group
from ..selection import RowRef
from .tablemodel import GroupRows

if TYPE_CHECKING:
    import pandas as pd


class TableViews:
    """The sort, filter and page of each group (mixed into DashboardState)."""

    _rows: dict[str, GroupRows]
    sorts: Any
    filters: Any
    pages: Any
    technical: Any
    page_size: Any

    def rows(self, group: Group | str) -> GroupRows:
        """The group's shown texts, filtered and sorted as the DPO asked (made once)."""
        g = Group(group).value
        rows = self._rows.get(g)
        if rows is None:
            rows = GroupRows.of(self.group_frame(g), self.labels, self.technical)
            column, ascending = (self.sorts.get(g) or (None, True))
            rows.filter_text = self.filters.get(g, "")
            rows.resort(column, bool(ascending))
            self._rows[g] = rows
        return rows

    def shown_count(self, group: Group | str) -> int:
        """How many of the group's items pass its filter."""
        return len(self.rows(group).order)

    def page_count(self, group: Group | str) -> int:
        return max(1, -(-self.shown_count(group) // self.page_size))

    def page_items(self, group: Group | str) -> tuple[int, list[tuple[RowRef, list[str]]]]:
        """The first row number and the items (reference, shown texts) of the page."""
        g = Group(group)
        rows = self.rows(g)
        refs = self.refs_of(g)
        start = self.pages.get(g.value, 0) * self.page_size
        return start, [(refs[i], rows.texts[i]) for i in rows.order[start:start + self.page_size]]

    def page_rows(self, group: Group | str) -> tuple[int, pd.DataFrame]:
        """The first row number and the frame rows of the group's current page."""
        g = Group(group)
        rows = self.rows(g)
        start = self.pages.get(g.value, 0) * self.page_size
        return start, self.group_frame(g).iloc[rows.order[start:start + self.page_size]]

    def sort_by(self, group: Group | str, column: str) -> None:
        """Sort a group by a shown column; the same column again reverses the order."""
        self._guard()
        g = Group(group).value
        rows = self.rows(g)
        self._require(column in rows.columns, "The group has no such column.")
        old = self.sorts.get(g)
        ascending = not (old and old[0] == column and old[1])
        rows.resort(column, ascending)
        self.sorts = {**self.sorts, g: [column, ascending]}
        self.pages = {**self.pages, g: 0}

    def filter_group(self, group: Group | str, text: str) -> None:
        """Show only the group's rows with a cell containing ``text`` (case ignored)."""
        self._guard()
        g = Group(group).value
        text = str(text)[:200]
        self.rows(g).refilter(text)
        self.filters = {**self.filters, g: text.strip()}
        self.pages = {**self.pages, g: 0}

    def shown_refs(self, group: Group | str) -> list[RowRef]:
        """The group's items that pass its filter, in the order shown."""
        refs = self.refs_of(group)
        return [refs[i] for i in self.rows(group).order]

    def set_technical(self, on: bool) -> None:
        """Show or hide the technical names (tables, columns, row keys)."""
        self._guard()
        self._rows = {}  # the shown texts change (copies, match reasons)
        self.technical = bool(on)

