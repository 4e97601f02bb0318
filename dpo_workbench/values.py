"""Database and pandas values as plain Python, JSON and text: one conversion for every output.

A value read from a database reaches an output either as it came from the driver
(``datetime``, ``Decimal``, ``bytes``...) or through a pandas DataFrame, which
turns it into a numpy scalar, a ``Timestamp``, ``NaN`` or ``NaT``. The report's
CSV and JSON and the search result's JSON all convert through here, so that one
value is written the same way everywhere:

- missing values (``None``, ``NaN``, ``NaT``, ``pd.NA``) are ``None``, an empty cell;
- times are ISO 8601 (``2025-03-01T14:05:09``);
- a float that is a whole number is an integer: an integer column that held a
  ``None`` became float in pandas, and ``1234.0`` would misquote the database;
- ``Decimal`` is its exact text, bytes are hexadecimal.
"""

from __future__ import annotations

import math
import sys
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """A Python value for a pandas or numpy one; None for every kind of missing value.

    Parameters
    ----------
    value : Any
        A value from a database row or a DataFrame cell.

    Returns
    -------
    Any
        ``None``, or the value with numpy scalars as Python scalars and pandas
        timestamps as :class:`~datetime.datetime`; other values as they are.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> plain(np.int64(7)), plain(float("nan")), plain(pd.NaT), plain("Aino")
    (7, None, None, 'Aino')
    >>> plain(pd.Timestamp("2025-03-01 14:05:09"))
    datetime.datetime(2025, 3, 1, 14, 5, 9)
    """
    if value is None:
        return None
    # pandas and numpy values exist only when pandas is loaded: then convert them.
    pd = sys.modules.get("pandas")
    if pd is not None:
        np = sys.modules["numpy"]
        if value is pd.NaT or value is pd.NA:
            return None
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        elif isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, pd.Timestamp):
            return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def cell_text(value: Any) -> str:
    """The text of a value in a CSV cell (before formula neutralisation).

    Parameters
    ----------
    value : Any
        A value from a database row or a DataFrame cell.

    Returns
    -------
    str
        The text of :func:`json_value`: empty for a missing value, ``true`` or
        ``false`` for booleans, ISO 8601 for times, hexadecimal for bytes, whole
        floats without ``.0``.

    Examples
    --------
    >>> cell_text(datetime(2025, 3, 1, 14, 5, 9)), cell_text(None), cell_text(True)
    ('2025-03-01T14:05:09', '', 'true')
    >>> cell_text(1234.0)  # an integer column that held a None became float
    '1234'
    """
    value = json_value(value)  # the CSV says what the JSON says, as text
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def json_value(value: Any) -> Any:
    """The JSON value of a database value (ISO 8601 for times, None for missing).

    Parameters
    ----------
    value : Any
        A value from a database row or a DataFrame cell.

    Returns
    -------
    None, bool, int, float or str
        A value :func:`json.dumps` writes as it is: whole floats become integers,
        ``Decimal`` its exact text, bytes hexadecimal, anything else ``str``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> json_value(pd.Timestamp("2025-03-01 14:05:09")), json_value(np.float64(300.0))
    ('2025-03-01T14:05:09', 300)
    >>> json_value(Decimal("12.50")), json_value(b"\\x01\\xff"), json_value(float("nan"))
    ('12.50', '01ff', None)
    """
    value = plain(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact, unlike a float
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)
