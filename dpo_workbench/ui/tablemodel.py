"""The rows of one result group as the results table shows them: texts, filter, order.

Widget-free and pure: :class:`GroupRows` turns a group's frame into the shown
texts (labels for copies and match reasons, ISO dates), filters them (any shown
cell contains the typed text, letter case ignored) and sorts them (dates and
numbers by value, text by its letters, empty cells last), all in the kernel. The
widgets only ever show one page of the resulting order, so a group of thousands of
items costs the page no more than a page of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .common import plain
from .labels import Labels

#: Columns of a result frame the table never shows (provenance and match details).
HIDDEN = ("_database", "_table", "_key", "_match_kind", "_match_column", "_span_applied")

#: Relative width and least width (px) of a column, by its name or kind.
_WIDTHS: dict[str, tuple[float, int]] = {
    "_matched": (1.8, 120), "_copies": (1.3, 90), "_item": (2.0, 150),
    "subject": (1.5, 96), "consent_value": (0.7, 56), "direction": (0.7, 76),
    "channel": (0.9, 84),
}
_DATE = (1.3, 92)
_PHONE = (1.1, 112)
_EMAIL = (1.6, 120)
_DEFAULT = (1.0, 92)


@dataclass
class GroupRows:
    """The shown texts of a group's rows, and the order the table shows them in.

    ``columns`` are the frame columns shown (in order); ``texts[i]`` the shown texts
    of row ``i`` of the frame (and of the selection's refs of the group, in the same
    order). ``order`` lists the frame rows that pass the filter, sorted.
    """

    frame: pd.DataFrame
    columns: list[str]
    texts: list[list[str]]
    order: list[int] = field(default_factory=list)
    filter_text: str = ""
    sort_column: str | None = None
    ascending: bool = True
    _folded: list[str] | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame, labels: Labels | None, technical: bool) -> GroupRows:
        columns = [c for c in frame.columns if c not in HIDDEN]
        if technical:
            columns.append("_item")
        records = frame.to_dict(orient="records") if len(frame) else []
        texts = [[cell_text(c, r, labels, technical) for c in columns] for r in records]
        rows = cls(frame, columns, texts)
        rows.order = list(range(len(texts)))
        return rows

    def refilter(self, text: str) -> None:
        """Keep the rows any of whose shown cells contains ``text`` (letter case ignored)."""
        self.filter_text = text.strip()
        self._apply()

    def resort(self, column: str | None, ascending: bool) -> None:
        """Sort by ``column`` (None: the search's order)."""
        self.sort_column, self.ascending = column, ascending
        self._apply()

    def _apply(self) -> None:
        order = list(range(len(self.texts)))
        needle = self.filter_text.casefold()
        if needle:
            if self._folded is None:
                self._folded = ["\x1f".join(t).casefold() for t in self.texts]
            order = [i for i in order if needle in self._folded[i]]
        if self.sort_column in self.columns:
            order = self._sorted(order, self.sort_column, self.ascending)
        self.order = order

    def _sorted(self, order: list[int], column: str, ascending: bool) -> list[int]:
        at = self.columns.index(column)
        values: Sequence[Any] | None = None
        if column in self.frame.columns:
            series = self.frame[column]
            if (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
                    or pd.api.types.is_datetime64_any_dtype(series)):
                values = series.tolist()
        if values is not None:
            present = [i for i in order if not _missing(values[i])]
            present.sort(key=lambda i: values[i], reverse=not ascending)
        else:
            present = [i for i in order if self.texts[i][at] != ""]
            present.sort(key=lambda i: self.texts[i][at].casefold(), reverse=not ascending)
        # Empty cells last either way: they say nothing about the order asked for.
        placed = set(present)
        return present + [i for i in order if i not in placed]

    def template(self) -> str:
        """The CSS grid column template: the same for the header and every row."""
        return " ".join(f"minmax({least}px, {weight}fr)"
                        for weight, least in (self.width(c) for c in self.columns))

    def least_width(self) -> int:
        """The width (px) under which the group scrolls sideways instead of squeezing."""
        return sum(self.width(c)[1] for c in self.columns)

    def width(self, column: str) -> tuple[float, int]:
        if column in _WIDTHS:
            return _WIDTHS[column]
        if column in self.frame.columns and pd.api.types.is_datetime64_any_dtype(
                self.frame[column]):
            return _DATE
        if column.endswith(("_at", "_date", "_time")):
            return _DATE
        if "email" in column or "address" in column:
            return _EMAIL
        if "phone" in column or "number" in column:
            return _PHONE
        return _DEFAULT


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell_text(column: str, record: dict[str, Any], labels: Labels | None,
              technical: bool) -> str:
    """The text of one cell as the table shows it (escaped later, when drawn)."""
    if column == "_item":
        return f"{record.get('_database')}.{record.get('_table')}#{plain(record.get('_key'))}"
    value = record.get(column)
    if labels is not None and not technical:
        if column == "_copies":
            return labels.copies(value)
        if column == "_matched":
            return labels.reason(record)
    if column == "_copies":
        return ", ".join(str(v) for v in (value or ()))
    return plain(value)
