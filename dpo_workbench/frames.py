"""Result frames typed from the schema: the same dtypes whether a group is empty or full.

Each shown column takes the pandas dtype of its database type (whole numbers
``Int64``, text ``string``, dates and timestamps ``datetime64[us]``, true/false
``boolean``); the workbench's own columns have fixed dtypes (:data:`PROVENANCE`).
Missing values are ``<NA>`` / ``NaT``, never a mix of ``None`` and ``NaN``, so two
searches concatenate into the same dtypes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, String

if TYPE_CHECKING:
    import pandas as pd

#: The workbench's columns of every result frame, and their dtypes (``_key`` varies).
PROVENANCE: Mapping[str, Any] = {
    "_database": "string",
    "_table": "string",
    "_key": object,
    "_matched": "string",  # why the row matched, in words
    "_match_kind": "string",  # the match kinds that matched, e.g. "phone;email"
    "_match_column": "string",  # the columns they matched in, in the same order
    "_copies": object,  # a list of "database.table#key" of the copies held elsewhere
    "_span_applied": "boolean",  # False: the table has no time column to apply a span to
}


def column_dtype(column: Column[Any]) -> Any:
    """The pandas dtype of a database column.

    >>> from sqlalchemy import Text
    >>> column_dtype(Column("a", Integer())), column_dtype(Column("b", Text()))
    ('Int64', 'string')
    """
    t = column.type
    if isinstance(t, Boolean):
        return "boolean"
    if isinstance(t, Integer):
        return "Int64"
    if isinstance(t, Float):
        return "Float64"
    if isinstance(t, DateTime | Date):
        return "datetime64[us]"
    if isinstance(t, String):
        return "string"
    return object


def key_dtype(columns: Iterable[Column[Any]]) -> Any:
    """One dtype for the keys of several tables: ``Int64`` or ``string`` if they agree."""
    kinds = {column_dtype(c) for c in columns}
    return kinds.pop() if len(kinds) == 1 and kinds <= {"Int64", "string"} else object


def typed_frame(records: Sequence[Mapping[str, Any]], dtypes: Mapping[str, Any],
                ) -> pd.DataFrame:
    """A frame of ``records`` with exactly the columns and dtypes of ``dtypes``.

    >>> [str(d) for d in typed_frame([], {"n": "Int64", "t": "string"}).dtypes]
    ['Int64', 'string']
    """
    import pandas as pd  # only when a frame is asked for: a JSON search needs none

    frame = pd.DataFrame.from_records(list(records), columns=list(dtypes))
    for name, dtype in dtypes.items():
        if dtype is object:
            continue
        try:
            frame[name] = frame[name].astype(dtype)
        except (TypeError, ValueError):
            # A value the database type did not promise (a time zone, text in a
            # numeric column of SQLite): the column keeps Python's values.
            frame[name] = frame[name].astype(object)
    return frame
