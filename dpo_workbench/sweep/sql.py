"""The deep sweep's SQL prefilter: a cheap condition that every mention passes.

The prefilter never decides; it only spares Python the rows that cannot mention
the person. Every row it passes is checked with the exact rules
(:mod:`.rules`), so it may pass too much but never too little. Per piece
(:class:`~.rules.Piece`) and engine:

============  =================================  ==================================
piece         SQLite                             PostgreSQL / MariaDB
============  =================================  ==================================
ASCII run     ``c LIKE '%run%'`` (folds ASCII)   ``c ILIKE '%run%'`` /
                                                 ``lower(c) LIKE '%run%'`` (binary)
spelling      ``instr(c, s) > 0``                ``strpos(c, s) > 0`` /
                                                 ``instr(c, s) > 0`` (binary)
phone digits  ``c GLOB '*1*2*3*4*5*6*7*'``       ``strpos(translate(c, seps, ''),
              (the digits in order, anything     tail) > 0`` / ``instr`` of the
              between)                           nested ``replace()`` of the search
============  =================================  ==================================

SQLite has no function that removes a set of characters in one pass (a nested
``replace()`` per separator costs several times the scan), so its phone prefilter
is weaker: the digits in their order with anything between them; the exact rule
then drops the rows where something else than separators lies between them.

On PostgreSQL and MariaDB a column declared shorter than the shortest mention of
a kind is skipped for that kind (they enforce declared lengths; SQLite does not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, types
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..normalize import PHONE_SEPARATORS
from ..sqlfuncs import phone_digits
from .rules import FIRST, LAST, Piece

MYSQL = ("mysql", "mariadb")


class binary_text(FunctionElement[str]):
    """A text compared byte for byte (MariaDB: whatever the column's collation)."""

    type = types.String()
    inherit_cache = True
    name = "binary_text"


@compiles(binary_text)
def _binary_default(element: binary_text, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(binary_text, "mysql")
@compiles(binary_text, "mariadb")
def _binary_mysql(element: binary_text, compiler: Any, **kw: Any) -> str:
    return f"(CONVERT({compiler.process(element.clauses, **kw)} USING utf8mb4) " \
           "COLLATE utf8mb4_bin)"


def like_escape(text: str) -> str:
    r"""``text`` for a LIKE pattern with ``\`` as the escape character.

    >>> like_escape("a_b%c\\")
    'a\\_b\\%c\\\\'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def as_text(column: Any, dialect: str) -> ColumnElement[Any]:
    """A column as text: JSON columns are cast, text columns taken as they are."""
    if isinstance(column.type, types.JSON) and dialect != "sqlite":
        return cast(column, Text)
    return column


def piece_condition(text: ColumnElement[Any], piece: Piece, dialect: str) -> ColumnElement[bool]:
    """``text`` contains ``piece`` (see the module notes)."""
    if piece.digits:
        if dialect == "sqlite":
            return text.op("GLOB")("*" + "*".join(piece.text) + "*")
        if dialect == "postgresql":
            return func.strpos(func.translate(text, "".join(PHONE_SEPARATORS), ""),
                               piece.text) > 0
        return func.instr(phone_digits(text), piece.text) > 0
    if piece.fold:
        pattern = f"%{like_escape(piece.text)}%"
        if dialect == "sqlite":
            return text.like(pattern, escape="\\")
        if dialect == "postgresql":
            return text.ilike(pattern, escape="\\")
        return func.lower(binary_text(text)).like(pattern, escape="\\")
    if dialect == "postgresql":
        return func.strpos(text, piece.text) > 0
    return func.instr(binary_text(text) if dialect in MYSQL else text, piece.text) > 0


def _fits(column: Any, need: int, dialect: str) -> bool:
    length = getattr(column.type, "length", None)
    return dialect == "sqlite" or not length or length >= need


def row_prefilter(columns: Sequence[Any], pieces: Mapping[str, Sequence[Piece]],
                  shortest: Mapping[str, int], dialect: str) -> ColumnElement[bool] | None:
    """The condition on one row of a table: some column may mention the person.

    ``None`` when no column of the table can (every one too short).
    """
    def any_column(key: str) -> list[ColumnElement[bool]]:
        return [piece_condition(as_text(c, dialect), p, dialect)
                for c in columns if _fits(c, shortest.get(key, 0), dialect)
                for p in pieces.get(key, ())]

    terms = [t for key in pieces if key not in (FIRST, LAST) for t in any_column(key)]
    if FIRST in pieces and LAST in pieces:
        firsts, lasts = any_column(FIRST), any_column(LAST)
        if firsts and lasts:
            terms.append(and_(or_(*lasts), or_(*firsts)))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else or_(*terms)
