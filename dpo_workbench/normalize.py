"""How typed and stored text is normalised before it is compared.

The same rules serve the criteria (what the DPO typed), the SQL match
expressions (what the databases hold) and the reference checks in Python, so
that the three can never disagree.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata

#: Characters removed from phone numbers before comparing, on both sides: spaces
#: (ordinary, tab, no-break, narrow no-break, thin), hyphens and dashes, dot,
#: slash, parentheses and the plus sign. The same list drives the SQL expression
#: on every engine, so the semantics are identical everywhere.
PHONE_SEPARATORS: tuple[str, ...] = (
    " ", "\t", "\u00a0", "\u202f", "\u2009",
    "-", "\u2010", "\u2011", "\u2013",
    ".", "/", "(", ")", "+",
)

#: More non-ASCII cased letters than this and only the all-lower and all-upper
#: spellings are tried (2**8 = 256 spellings is the most a search sends).
MAX_CASED = 8


def strip_separators(value: str) -> str:
    """Remove the phone separators from ``value`` (nothing else).

    >>> strip_separators("+358 (0)40-123 4567")
    '3580401234567'
    """
    for sep in PHONE_SEPARATORS:
        value = value.replace(sep, "")
    return value


def nfc(value: str) -> str:
    """``value`` in Unicode normal form C (composed letters)."""
    return unicodedata.normalize("NFC", value)


def ascii_lower(value: str) -> str:
    """Lower-case the ASCII letters only, as SQLite's ``lower()`` does.

    >>> ascii_lower("ÄBC")
    'Äbc'
    """
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in value)


@functools.lru_cache(maxsize=256)
def case_variants(value: str) -> tuple[str, ...]:
    """Every spelling an engine's ``lower(trim(stored))`` can give for ``value``.

    Engines fold letter case differently (SQLite's ``lower()`` folds ASCII letters
    only; PostgreSQL's depends on the database locale), so a search compares the
    stored key with every case spelling of the searched value's non-ASCII letters:
    whatever the engine's ``lower()`` does to them, one spelling is equal. ASCII
    letters are lower case (every engine folds them); each non-ASCII letter with a
    one-letter lower and upper case appears in both, in NFC and NFD form.

    >>> v = case_variants("Zoë@x.de")
    >>> "zoë@x.de" in v, "zoË@x.de" in v, len(v)  # lower, upper, and decomposed
    (True, True, 3)
    >>> case_variants("a@b.fi")
    ('a@b.fi',)
    """
    base = ascii_lower(nfc(value.strip()))
    options: list[tuple[str, ...]] = []
    cased = 0
    for ch in base:
        lo, up = ch.lower(), ch.upper()
        if not ch.isascii() and len(lo) == 1 and len(up) == 1 and lo != up:
            options.append((lo, up))
            cased += 1
        else:
            options.append((ch,))
    if cased > MAX_CASED:
        spellings = {"".join(o[0] for o in options), "".join(o[-1] for o in options)}
    else:
        spellings = {"".join(p) for p in itertools.product(*options)}
    # Decomposed letters: the base letter is ASCII and folds like one.
    spellings |= {ascii_lower(unicodedata.normalize("NFD", s)) for s in spellings}
    return tuple(sorted(spellings))


def text_equal(value: object, variants: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether a stored text equals one of the case spellings, as the SQL key compares.

    The SQL key is ``lower(trim(value))``; ``trim`` removes spaces only.

    >>> text_equal(" AINO ", case_variants("aino")), text_equal(None, ("x",))
    (True, False)
    """
    if not isinstance(value, str):
        return False
    v = value.strip(" ")
    return ascii_lower(v) in variants or v.lower() in variants
