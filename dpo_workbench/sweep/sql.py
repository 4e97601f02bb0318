"""The deep sweep's SQL prefilter: a cheap condition that every mention passes.

The prefilter never decides; it only spares Python the rows that cannot mention
the person. Every row it passes is checked with the exact rules
(:mod:`.rules`), so it may pass too much but never too little. Per piece
(:class:`~.rules.Piece`) and engine:

- **ASCII run** (e-mail address, name), compared ignoring ASCII letter case:
  SQLite ``c LIKE '%run%'`` (its LIKE folds ASCII letters); PostgreSQL
  ``lower(c COLLATE "C") LIKE '%run%'`` (the C collation folds ASCII letters only,
  whatever the database's locale, and several times faster than ``ILIKE``);
  MariaDB ``lower(c)`` in a binary collation ``LIKE '%run%'`` (whatever the
  column's collation). An e-mail address's piece (its longest ASCII run, whole) is
  looked for only in values holding an ``@``; a name's piece starts at its rarest
  letter (:func:`~.rules.ascii_piece`).
- **Exact spelling** (identifiers without a usable ASCII run): ``instr``/``strpos``,
  byte for byte.
- **Phone digits**: the last *N* digits in their order with anything between them,
  ``c GLOB '*1*2*3*4*5*6*7*'`` on SQLite, ``c LIKE '%1%2%3%4%5%6%7%'`` elsewhere: a
  superset of "with separators between them" that costs one pass, where removing
  the 14 separators (``replace()`` nested 14 times, or ``translate()``) costs many.

On PostgreSQL and MariaDB a column declared shorter than the shortest mention of
a kind is skipped for that kind (they enforce declared lengths; SQLite does not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, types
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

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
        return text.like("%" + "%".join(piece.text) + "%")
    if piece.fold:
        pattern = f"%{like_escape(piece.text)}%"
        if dialect == "sqlite":
            found = text.like(pattern, escape="\\")
        elif dialect == "postgresql":
            found = func.lower(text.collate("C")).like(pattern, escape="\\")
        else:
            found = func.lower(binary_text(text)).like(pattern, escape="\\")
        if not piece.guard:
            return found
        guard = func.instr(text, piece.guard) > 0 if dialect == "sqlite" \
            else text.like(f"%{like_escape(piece.guard)}%", escape="\\")
        return and_(guard, found)
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
