"""Erasure strategies: what erasure does to a column, declared by name in the datamap.

Each strategy is a small object carrying all of its behaviour: the value an
``UPDATE`` sets, the check that verification applies afterwards, and the column
types it fits (``check`` refuses a datamap that declares it on a column that
cannot take it). :data:`STRATEGIES` is the explicit registry; an unknown name
fails listing the valid ones. A new strategy is one class here plus its tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Column, ColumnElement, String, case, literal, null

#: The text that replaces removed personal data.
ANONYMIZED = "{Anonymized by DPO}"


class RowAction(StrEnum):
    """What erasure does to a whole row."""

    ANONYMIZE = "anonymize"  # keep the row (statistics), overwrite its personal columns
    DELETE = "delete"  # remove the row


def is_text(column: Column[Any]) -> bool:
    """Whether a column holds text (Text, VARCHAR, CHAR, CLOB... are all String)."""
    return isinstance(column.type, String)


class EraseStrategy(ABC):
    """A named way of overwriting one column of a row that is kept."""

    name: ClassVar[str]
    #: What it does, in words that follow the column names in a plan.
    description: ClassVar[str]

    @abstractmethod
    def value(self, column: Column[Any]) -> ColumnElement[Any]:
        """The expression an ``UPDATE`` sets the column to."""

    @abstractmethod
    def holds(self, value: object) -> bool:
        """Whether a stored value is what this strategy leaves (verification)."""

    @abstractmethod
    def unfit(self, column: Column[Any]) -> str | None:
        """Why the column cannot take this strategy, or None when it can."""


class Redact(EraseStrategy):
    """Replace the value with :data:`ANONYMIZED`; NULL stays NULL (nothing was there)."""

    name = "redact"
    description = f"replaced with {ANONYMIZED}"

    def value(self, column: Column[Any]) -> ColumnElement[Any]:
        return case((column.is_(None), null()), else_=literal(ANONYMIZED))

    def holds(self, value: object) -> bool:
        return value is None or value == ANONYMIZED

    def unfit(self, column: Column[Any]) -> str | None:
        length = getattr(column.type, "length", None)
        if is_text(column) and (length is None or length >= len(ANONYMIZED)):
            return None
        return (f"column '{column.name}' cannot hold {ANONYMIZED!r} (type {column.type}); use "
                f"'clear' for it instead of '{self.name}'.")


class Clear(EraseStrategy):
    """Empty the value (set it to NULL)."""

    name = "clear"
    description = "emptied (set to NULL)"

    def value(self, column: Column[Any]) -> ColumnElement[Any]:
        return null()

    def holds(self, value: object) -> bool:
        return value is None

    def unfit(self, column: Column[Any]) -> str | None:
        if column.nullable:
            return None
        return (f"column '{column.name}' is NOT NULL, so '{self.name}' cannot empty it; use "
                "'redact' or delete the row.")


class RedactMentions:
    """Replace only the person's identifiers inside a text with :data:`ANONYMIZED`.

    The rest of the text stays, byte for byte. Not a column strategy of the
    datamap (so not in :data:`STRATEGIES`): what it replaces depends on the
    criteria, so it applies to the mentions a deep sweep found
    (:mod:`dpo_workbench.sweep.redact`), value by value.
    """

    name: ClassVar[str] = "redact_mentions"
    description: ClassVar[str] = (f"each mention of the person replaced with {ANONYMIZED}, "
                                  "the rest of the text kept")
    replacement: ClassVar[str] = ANONYMIZED

    def unfit(self, column: Column[Any], length: int, dialect: str) -> str | None:
        """Why ``column`` cannot take a redacted text of ``length`` characters, or None.

        SQLite does not enforce declared lengths; the other engines do.

        >>> from sqlalchemy import Column, String
        >>> MENTIONS.unfit(Column("n", String(20)), 25, "postgresql")
        'the redacted text (25 characters) would not fit the column (at most 20)'
        >>> MENTIONS.unfit(Column("n", String(20)), 25, "sqlite") is None
        True
        """
        if not is_text(column):
            return f"column '{column.name}' does not hold text"
        declared = getattr(column.type, "length", None)
        if dialect != "sqlite" and declared is not None and length > declared:
            return (f"the redacted text ({length} characters) would not fit the column "
                    f"(at most {declared})")
        return None


#: Mention-only redaction (see :class:`RedactMentions`).
MENTIONS = RedactMentions()

#: Every strategy, by name.
STRATEGIES: Mapping[str, EraseStrategy] = {s.name: s for s in (Redact(), Clear())}


def strategy(name: str) -> EraseStrategy:
    """Look up a column strategy by name.

    >>> strategy("redact").holds("{Anonymized by DPO}")
    True
    >>> strategy("scramble")
    Traceback (most recent call last):
    ...
    KeyError: "unknown erasure strategy 'scramble'; valid strategies are: clear, redact"
    """
    try:
        return STRATEGIES[name]
    except KeyError:
        raise KeyError(f"unknown erasure strategy {name!r}; valid strategies are: "
                       f"{', '.join(sorted(STRATEGIES))}") from None
