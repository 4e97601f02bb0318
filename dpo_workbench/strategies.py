"""Erasure strategies: what erasure does to a column, declared by name in the datamap.

The registry is explicit; an unknown name fails listing the valid ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The text that replaces removed personal data.
ANONYMIZED = "{Anonymized by DPO}"


class RowAction(StrEnum):
    """What erasure does to a whole row."""

    ANONYMIZE = "anonymize"  # keep the row (statistics), overwrite its personal columns
    DELETE = "delete"  # remove the row


@dataclass(frozen=True)
class ColumnStrategy:
    """A named way of overwriting one column of a row that is kept."""

    name: str
    description: str
    needs_text: bool  # the column must hold text of at least len(ANONYMIZED) characters

    def value(self) -> str | None:
        """The value the column gets."""
        return ANONYMIZED if self.name == "redact" else None


STRATEGIES: dict[str, ColumnStrategy] = {
    s.name: s
    for s in (
        ColumnStrategy("redact", f"replaced with {ANONYMIZED}", needs_text=True),
        ColumnStrategy("clear", "emptied (set to NULL)", needs_text=False),
    )
}


def strategy(name: str) -> ColumnStrategy:
    """Look up a column strategy by name.

    >>> strategy("redact").value()
    '{Anonymized by DPO}'
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
