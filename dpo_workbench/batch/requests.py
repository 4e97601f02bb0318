"""A batch's requests: read from a CSV file, a DataFrame or dicts, checked line by line.

The columns (a header row names them, in any order and letter case; ``First name``
and ``first-name`` mean ``first_name``):

==============  ===========================================================
``reference``   the request's reference, your case number (required)
``email``       one e-mail address
``phone``       one phone number
``first_name``  first name (with the last name)
``last_name``   last name (with the first name)
``start``       start date, YYYY-MM-DD
``end``         end date, YYYY-MM-DD
``digits``      digits used in search (optional; default from the settings)
==============  ===========================================================

An unknown column stops the batch before anything runs, naming the valid ones. A
file as Excel saves it is read as it is: a UTF-8 byte-order mark, ``;`` (or tab)
between the cells. A line whose reference is missing, refused
(:func:`~dpo_workbench.audit.check_reference`) or used before, or that has more
cells than the header, is a bad line: it is reported by its line number, the
others run. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audit.events import check_reference, personal_data_reason
from ..criteria import FIELDS
from ..errors import UsageError

#: The columns a requests file may have; ``reference`` and one criterion are required.
COLUMNS: tuple[str, ...] = ("reference", *FIELDS)
#: Delimiters tried on the header line, the first that splits it most wins.
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Request:
    """One line of a batch: its number, reference and criteria fields, or its problem.

    ``line`` is the line of the file it starts on (the header is line 1), or for
    a DataFrame or dicts the position counted from 1. ``problem`` says why the line
    cannot run (without repeating its values); ``None`` when it can.
    """

    line: int
    reference: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True)
class Requests:
    """The requests of a batch and the delimiter their file used (the summary's too)."""

    items: tuple[Request, ...]
    delimiter: str = ","

    def __iter__(self) -> Iterator[Request]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def column_name(text: object) -> str:
    """A header cell as a column name: letter case, spaces and hyphens do not matter.

    >>> column_name(" First name"), column_name("E-mail"), column_name("END")
    ('first_name', 'email', 'end')
    """
    name = "_".join(str(text).strip().lower().replace("-", " ").split())
    return "email" if name == "e_mail" else name


def _columns(header: Sequence[object], source: str) -> list[str]:
    """The column names of ``header``, or a UsageError naming what is wrong."""
    names = [column_name(h) for h in header]
    # Unnamed columns ("" : a spreadsheet's trailing empty cells) must stay empty.
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise UsageError(f"{source}: {_unknown(header, names)}; the columns are "
                         f"{', '.join(COLUMNS)} (a header row first).")
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise UsageError(f"{source}: column(s) {', '.join(twice)} appear more than once.")
    if "reference" not in names:
        raise UsageError(f"{source}: no 'reference' column; every request needs its reference "
                         f"(your case number). The columns are {', '.join(COLUMNS)}.")
    if not set(names) - {"reference", "digits"}:
        raise UsageError(f"{source}: no criteria column; give at least one of "
                         f"{', '.join(c for c in FIELDS if c != 'digits')}.")
    return names


def _unknown(header: Sequence[object], names: Sequence[str]) -> str:
    """The unknown columns in words, never repeating what may be a request's values."""
    if not set(names) & set(COLUMNS):
        # Not one column name: the header row is missing and this is a request, whose
        # e-mail address, phone number or name must not be repeated.
        return "no column name in the first line (is the header row missing?)"
    unknown = [(str(h), n) for h, n in zip(header, names, strict=True) if n and n not in COLUMNS]
    shown = [repr(n) for h, n in unknown if not (personal_data_reason(h)
                                                 or personal_data_reason(n))]
    hidden = len(unknown) - len(shown)
    return "unknown column(s) " + ", ".join(
        shown + ([f"{hidden} that may be personal data"] if hidden else []))


def _cell(value: Any) -> Any:
    """A cell as a criteria field: blanks, NaN and ``pandas.NA`` are None, 7.0 is 7."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell of a DataFrame
            return None
        # A phone number or digits read as a number by pandas (leading zeros are lost).
        return str(int(value)) if value.is_integer() else value
    if isinstance(value, str):
        return value.strip() or None
    return value


def _request(line: int, record: Mapping[str, Any], seen: dict[str, int]) -> Request:
    """The request of one line; its problem, if any, without its values."""
    raw = _cell(record.get("reference"))
    fields = {k: _cell(v) for k, v in record.items() if k != "reference"}
    if raw is None:
        return Request(line, None, fields, "no reference: every request needs its reference")
    try:
        reference = check_reference(str(raw))
    except UsageError as exc:
        return Request(line, None, fields, str(exc))
    earlier = seen.setdefault(reference.casefold(), line)
    if earlier != line:
        return Request(line, reference, fields, f"the reference is used on line {earlier} "
                                                "already: each request needs its own")
    return Request(line, reference, fields)


def _records(rows: Iterable[tuple[int, Mapping[str, Any] | str]]) -> tuple[Request, ...]:
    """Requests of ``(line, record or problem)`` pairs, duplicates found."""
    seen: dict[str, int] = {}
    return tuple(Request(line, None, {}, r) if isinstance(r, str) else _request(line, r, seen)
                 for line, r in rows)


def _delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most cells."""
    def cells(d: str) -> int:
        return len(next(csv.reader([header_line], delimiter=d), []))
    return max(DELIMITERS, key=cells)


def read_csv(path: str | os.PathLike[str]) -> Requests:
    """The requests of a CSV file (UTF-8, with or without a byte-order mark).

    Raises
    ------
    UsageError
        The file is missing, not UTF-8, has no header or an unknown column, or no
        request.
    """
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the requests file {source}: {exc.strerror}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text: in Excel, save it as 'CSV UTF-8 "
                         "(comma delimited)'.") from None
    delimiter = _delimiter(text.splitlines()[0] if text else "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise UsageError(f"{source} is empty: the first line must name the columns "
                         f"({', '.join(COLUMNS)}).")
    names = _columns(header, str(source))

    def rows() -> Iterator[tuple[int, Mapping[str, Any] | str]]:
        end = reader.line_num
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line, or one of empty cells as spreadsheets end
            named = len(cells) <= len(names) or not any(c.strip() for c in cells[len(names):])
            if not named or any(c.strip() for n, c in zip(names, cells, strict=False) if not n):
                yield start, ("a value in a column the header does not name: quote a value "
                              "that holds the delimiter")
                continue
            yield start, {n: c for n, c in zip(names, cells, strict=False) if n}

    return _checked(Requests(_records(rows()), delimiter), str(source))


def read_records(records: Iterable[Mapping[str, Any]], source: str = "the requests") -> Requests:
    """The requests of dicts (one per request), numbered from 1.

    >>> first, second = read_records([{"reference": "A-1", "phone": "040 123 4567"},
    ...                               {"Reference": "a-1", "E-mail": "a@b.fi"}])
    >>> first.line, first.reference, first.problem
    (1, 'A-1', None)
    >>> second.line, second.fields, second.problem
    (2, {'email': 'a@b.fi'}, 'the reference is used on line 1 already: each request needs its own')
    """
    listed = [dict(r) for r in records]
    if not listed:
        raise UsageError(f"{source} holds no request: one per line (or dict).")
    # Keys spelled differently in different dicts ("email", "E-mail") are one column.
    _columns(list(dict.fromkeys(column_name(k) for r in listed for k in r)), source)
    renamed = ({column_name(k): v for k, v in r.items()} for r in listed)
    return Requests(_records(enumerate(renamed, start=1)))


def read_requests(requests: Any) -> Requests:
    """The requests of a CSV file's path, a DataFrame, or an iterable of dicts."""
    if isinstance(requests, Requests):
        return requests
    if isinstance(requests, str | os.PathLike):
        return read_csv(requests)
    if hasattr(requests, "to_dict") and hasattr(requests, "columns"):  # a DataFrame
        _columns([str(c) for c in requests.columns], "the DataFrame")  # even without a row
        return read_records(requests.to_dict(orient="records"), "the DataFrame")
    if isinstance(requests, Iterable) and not isinstance(requests, bytes | Mapping):
        return read_records(requests)
    raise UsageError("requests must be a CSV file's path, a DataFrame or an iterable of dicts "
                     f"(not {type(requests).__name__}).")


def _checked(requests: Requests, source: str) -> Requests:
    """``requests`` when it holds at least one."""
    if not requests.items:
        raise UsageError(f"{source} holds no request: one line per request after the header.")
    return requests
