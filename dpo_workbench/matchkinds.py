"""The kinds of match: phone, e-mail and name, each whole in one class.

A match kind carries everything the workbench needs to know about one kind of
identity criterion:

- its name, which is also its key under ``match:`` in the datamap and in
  :attr:`Criteria.kinds <dpo_workbench.criteria.Criteria.kinds>`;
- the SQL condition a search runs (index-friendly, the same semantics on every
  engine), with the searched values as named bound parameters (:meth:`MatchKind.values`)
  so that searches of the same shape share one statement, and the keys the workbench
  indexes to make it fast;
- the words that explain it (``explain``) and the reason shown with a found row;
- the reference check in Python (what the SQL computes, for the match reasons and
  for the tests' oracle) and the check whether a text still mentions the
  identifier (erasure verification).

:data:`MATCH_KINDS` is the registry, in the order terms are tried and shown. A
new kind is one class here plus its tests.

Phone numbers
    The stored side is normalised in SQL by removing
    :data:`~dpo_workbench.normalize.PHONE_SEPARATORS` with nested ``replace()``
    calls (the same list on SQLite, PostgreSQL and MariaDB). Two *suffix keys* are
    indexed: the last 3 and the last 7 characters of the normalised number. A
    search with *N* digits seeks the composite index ``(key3, key7)``:

    - N < 7: ``key3`` equals the last 3 searched digits, then the last N
      characters of the normalised number are compared (few candidate rows);
    - N = 7: ``key3`` and ``key7`` equal the searched suffixes: an exact seek;
    - N > 7: the seek of N = 7, then the last N characters are compared.

E-mail addresses and names
    The key is the stored value without surrounding whitespace (an e-mail value
    also without ``mailto:`` and, in ``Name <address>``, the address alone),
    lower-cased; it is compared with every case spelling of the searched value
    (:func:`~dpo_workbench.normalize.case_variants`; for an e-mail address in its
    Unicode and ASCII domain forms too). On MariaDB the comparison uses a binary
    collation, so ``a`` never equals ``ä``.

Indexes
    SQLite and PostgreSQL get expression indexes on exactly these key
    expressions. MariaDB has no expression indexes: it gets indexed virtual
    columns named ``dpo_<tag>_<column>``, which the search uses when they exist.
"""

from __future__ import annotations

import functools
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Table, and_, bindparam

from .criteria import Criteria
from .normalize import (
    case_variants,
    email_equal,
    email_variants,
    idna_forms,
    strip_separators,
    text_equal,
    wide_digits,
)
from .sqlfuncs import email_key, phone_digits, suffix, text_key
from .tablecache import TableCache

#: Lengths of the indexed phone suffix keys.
SHORT_KEY = 3
LONG_KEY = 7

MYSQL = ("mysql", "mariadb")


@dataclass(frozen=True)
class IndexKey:
    """One indexed key expression of a match column.

    ``tag`` names MariaDB's virtual column (``dpo_<tag><version>_<column>``, the
    version a hash of the expression, so that a changed rule gets a new column);
    ``size`` is that column's length (``None``: the matched column's, at most 255).
    """

    tag: str
    size: int | None
    build: Callable[[Any], ColumnElement[Any]]

    @functools.cached_property
    def versioned(self) -> str:
        """The tag with a four-digit hash of the key expression."""
        from sqlalchemy import column
        from sqlalchemy.dialects import mysql

        from .sqlfuncs import PLAIN

        text = str(self.build(column("x")).compile(
            dialect=mysql.dialect(), compile_kwargs={"literal_binds": True, PLAIN: True}))
        return f"{self.tag}{short_hash(text)[:4]}"


def short_hash(text: str) -> str:
    """Eight hexadecimal digits identifying ``text`` (for names cut to a length limit)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def virtual_column_name(tag: str, column_name: str) -> str:
    """The name of a MariaDB virtual key column (within MariaDB's 64 characters).

    >>> virtual_column_name("p3ab12", "remote_number")
    'dpo_p3ab12_remote_number'
    """
    name = f"dpo_{tag}_{column_name}"
    return name if len(name) <= 64 else f"{name[:55]}_{short_hash(name)}"


#: Each table's key expressions, made once: every search's plan uses the same ones.
_KEY_EXPRS = TableCache()


def key_expr(table: Table, column_name: str, key: IndexKey, dialect: str) -> ColumnElement[Any]:
    """A key of a column: MariaDB's virtual column when it exists, else the expression."""
    made = _KEY_EXPRS.of(table)
    try:
        return made[column_name, key.tag, dialect]
    except KeyError:
        pass
    expr: ColumnElement[Any] | None = None
    if dialect in MYSQL:
        expr = table.c.get(virtual_column_name(key.versioned, column_name), None)
    if expr is None:
        expr = key.build(table.c[column_name])
    made[column_name, key.tag, dialect] = expr
    return expr


def one_of(expr: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``expr IN (...)``, the values bound later as the list parameter ``name``.

    The parameter has no value: a statement run without its values fails instead of
    searching for something else. It takes ``expr``'s type, as a list of values would.

    >>> from sqlalchemy import column, String
    >>> str(one_of(column("k", String()), "t0_k"))
    'k IN (__[POSTCOMPILE_t0_k])'
    """
    return expr.in_(bindparam(name, type_=expr.type, expanding=True))


class MatchKind(ABC):
    """One kind of identity criterion (see the module notes)."""

    #: The kind's name: its key under ``match:`` and in ``Criteria.kinds``.
    name: ClassVar[str]
    #: How a rule names the criterion: "a phone number".
    label: ClassVar[str]
    #: The parts of one match when it spans several columns (a name's first and
    #: last); empty for kinds matched on one column at a time.
    parts: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def given(self, criteria: Criteria) -> bool:
        """Whether the criteria hold this kind."""

    @abstractmethod
    def condition(self, table: Table, columns: tuple[str, ...], criteria: Criteria,
                  dialect: str, prefix: str) -> ColumnElement[bool]:
        """The SQL condition: rows of ``table`` whose ``columns`` match the criteria.

        The searched values are bound parameters named ``prefix`` plus a name of
        :meth:`values`, without values: the condition depends on the criteria only
        through :meth:`shape`.
        """

    @abstractmethod
    def values(self, criteria: Criteria) -> dict[str, Any]:
        """The values of the condition's bound parameters, by name without the prefix."""

    def shape(self, criteria: Criteria) -> object:
        """What of the criteria the condition's SQL depends on, beside its bound values."""
        return None

    @abstractmethod
    def words(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        """The condition in words, without the searched value."""

    @abstractmethod
    def reason(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        """The match reason shown with a found row."""

    @abstractmethod
    def matches(self, values: Sequence[object], criteria: Criteria) -> bool:
        """Reference semantics in Python: whether stored ``values`` match (as the SQL does)."""

    @abstractmethod
    def mentioned_in(self, text: str, criteria: Criteria) -> bool:
        """Whether a free text still mentions the searched identifier."""

    @abstractmethod
    def index_keys(self) -> tuple[IndexKey, ...]:
        """The indexed key expressions of one matched column."""

    def index_columns(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        """The matched columns in the order the index leads with."""
        return columns


class PhoneMatch(MatchKind):
    """A stored number matches when its last N digits equal the searched number's."""

    name = "phone"
    label = "a phone number"

    def given(self, criteria: Criteria) -> bool:
        return bool(criteria.phone)

    def condition(self, table: Table, columns: tuple[str, ...], criteria: Criteria,
                  dialect: str, prefix: str) -> ColumnElement[bool]:
        column = columns[0]
        n = self.shape(criteria)
        k3, k7 = (key_expr(table, column, k, dialect) for k in self.index_keys())
        terms = [one_of(k3, f"{prefix}k3")]
        if n >= LONG_KEY:
            terms.append(one_of(k7, f"{prefix}k7"))
        if n not in (SHORT_KEY, LONG_KEY):
            terms.append(one_of(suffix(phone_digits(table.c[column]), n), f"{prefix}kn"))
        return and_(*terms)

    def values(self, criteria: Criteria) -> dict[str, Any]:
        """The searched tail's last 3, last 7 and last N digits, each in both spellings.

        >>> PhoneMatch().values(Criteria.parse(phone="040 123 4567", digits=9))["k3"]
        ['567', '５６７']
        >>> sorted(PhoneMatch().values(Criteria.parse(phone="040 123 4567", digits=7)))
        ['k3', 'k7']
        """
        tail = criteria.phone_tail or ""
        n = len(tail)
        spellings = (tail, wide_digits(tail))  # a number stored in full-width digits
        out = {"k3": [s[-SHORT_KEY:] for s in spellings]}
        if n >= LONG_KEY:
            out["k7"] = [s[-LONG_KEY:] for s in spellings]
        if n not in (SHORT_KEY, LONG_KEY):
            out["kn"] = list(spellings)
        return out

    def shape(self, criteria: Criteria) -> int:
        """The number of digits compared (the keys compared, and N in the SQL)."""
        return len(criteria.phone_tail or "")

    def words(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        capped = " (its national number's length)" if criteria.capped else ""
        return f"{' and '.join(columns)} ends with the last {len(criteria.phone_tail or '')} " \
               f"digits{capped}"

    def reason(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        return f"phone ends {criteria.phone_tail} in {columns[0]}"

    def matches(self, values: Sequence[object], criteria: Criteria) -> bool:
        value = values[0]
        return isinstance(value, str) and phone_matches(value, criteria.phone or "",
                                                        criteria.digits)

    def mentioned_in(self, text: str, criteria: Criteria) -> bool:
        tail = criteria.phone_tail
        digits = strip_separators(text)
        return bool(tail) and (tail in digits or wide_digits(tail) in digits)

    def index_keys(self) -> tuple[IndexKey, ...]:
        return (IndexKey("p3", SHORT_KEY, lambda c: suffix(phone_digits(c), SHORT_KEY)),
                IndexKey("p7", LONG_KEY, lambda c: suffix(phone_digits(c), LONG_KEY)))


class EmailMatch(MatchKind):
    """A stored address matches when it equals the searched one in any letter case."""

    name = "email"
    label = "an e-mail address"

    def given(self, criteria: Criteria) -> bool:
        return bool(criteria.email)

    def condition(self, table: Table, columns: tuple[str, ...], criteria: Criteria,
                  dialect: str, prefix: str) -> ColumnElement[bool]:
        return one_of(key_expr(table, columns[0], self.index_keys()[0], dialect), f"{prefix}ek")

    def values(self, criteria: Criteria) -> dict[str, Any]:
        return {"ek": list(email_variants(criteria.email or ""))}

    def words(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        return f"{' and '.join(columns)} equals the e-mail address (any letter case)"

    def reason(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        return f"e-mail in {columns[0]}"

    def matches(self, values: Sequence[object], criteria: Criteria) -> bool:
        return email_equal(values[0], email_variants(criteria.email or ""))

    def mentioned_in(self, text: str, criteria: Criteria) -> bool:
        if not criteria.email:
            return False
        folded = text.casefold()
        return any(form.casefold() in folded for form in idna_forms(criteria.email))

    def index_keys(self) -> tuple[IndexKey, ...]:
        return (IndexKey("ek", None, email_key),)


class NameMatch(MatchKind):
    """A stored first and last name match when both equal the searched ones, any case."""

    name = "name"
    label = "a name"
    parts = ("first", "last")

    def given(self, criteria: Criteria) -> bool:
        return criteria.has_name

    def condition(self, table: Table, columns: tuple[str, ...], criteria: Criteria,
                  dialect: str, prefix: str) -> ColumnElement[bool]:
        first, last = columns
        key = self.index_keys()[0]
        return and_(one_of(key_expr(table, last, key, dialect), f"{prefix}last"),
                    one_of(key_expr(table, first, key, dialect), f"{prefix}first"))

    def values(self, criteria: Criteria) -> dict[str, Any]:
        return {"last": list(case_variants(criteria.last_name or "")),
                "first": list(case_variants(criteria.first_name or ""))}

    def words(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        return f"{' and '.join(columns)} equal the first and last name (any letter case)"

    def reason(self, columns: tuple[str, ...], criteria: Criteria) -> str:
        return f"name in {', '.join(columns)}"

    def matches(self, values: Sequence[object], criteria: Criteria) -> bool:
        return (text_equal(values[0], case_variants(criteria.first_name or ""))
                and text_equal(values[1], case_variants(criteria.last_name or "")))

    def mentioned_in(self, text: str, criteria: Criteria) -> bool:
        if not criteria.has_name:
            return False
        folded = text.casefold()
        return all(part.casefold() in folded
                   for part in (criteria.first_name or "", criteria.last_name or ""))

    def index_keys(self) -> tuple[IndexKey, ...]:
        return (IndexKey("nk", None, text_key),)

    def index_columns(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        # The last name is the more selective: the index leads with it.
        return tuple(reversed(columns))


#: Every match kind, by name, in the order terms are tried and shown.
MATCH_KINDS: Mapping[str, MatchKind] = {k.name: k for k in (PhoneMatch(), EmailMatch(),
                                                             NameMatch())}


def match_kind(name: str) -> MatchKind:
    """The match kind called ``name``; an unknown name lists the valid ones.

    >>> match_kind("phone").label
    'a phone number'
    >>> match_kind("fax")
    Traceback (most recent call last):
    ...
    KeyError: "unknown match kind 'fax'; valid kinds are: phone, email, name"
    """
    try:
        return MATCH_KINDS[name]
    except KeyError:
        raise KeyError(f"unknown match kind {name!r}; valid kinds are: "
                       f"{', '.join(MATCH_KINDS)}") from None


def phone_matches(stored: str | None, searched_digits: str, n: int) -> bool:
    """Reference semantics of the phone match, for tests and documentation.

    ``searched_digits`` is a normalised searched number (digits only). The SQL the
    workbench runs on every engine gives exactly this result.

    >>> phone_matches("040-123 4567", "358401234567", 7)
    True
    >>> phone_matches("123 4567", "358401234567", 9)
    False
    """
    if stored is None:
        return False
    n, tails = _tails(searched_digits, n)
    return strip_separators(stored)[-n:] in tails


@functools.lru_cache(maxsize=64)
def _tails(searched_digits: str, n: int) -> tuple[int, tuple[str, str]]:
    """The digits compared and the searched tail in both spellings (ASCII, full-width)."""
    n = min(n, len(searched_digits))
    tail = searched_digits[-n:]
    return n, (tail, wide_digits(tail))
