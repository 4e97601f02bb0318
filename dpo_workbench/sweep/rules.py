"""What counts as a mention of the person in a free text: the deep sweep's exact rules.

A :class:`Rules` is built from the criteria and answers, for one text, where the
person's identifiers occur in it (:meth:`Rules.spans`). The same spans serve the
sweep (which kinds a value mentions) and the mention-only redaction (what is
replaced), so the two can never disagree.

E-mail address
    The whole address in any letter case and any Unicode form (NFC or NFD, also
    mixed), not inside a longer address: no letter, digit or ``. _ % + -`` right
    before it, no letter, digit, ``_`` or ``-`` (nor a dot and a letter or digit)
    right after it.
Phone number
    The last *N* digits of the searched number (*N* = "digits used in search"),
    with any of :data:`~dpo_workbench.normalize.PHONE_SEPARATORS` between the
    digits, not followed directly by another digit: a number as written that ends
    with those digits. What precedes them (a country code, a trunk prefix) does not
    matter; the span redacted also takes the number's earlier digits as written
    (at most 15 digits in all, the longest international number).
Name
    The first and last name next to each other, in either order, separated by
    white space or a comma (``Aino Järvinen``, ``JÄRVINEN, Aino``), as whole words,
    in any letter case and Unicode form. And, in one row, a column whose whole
    value is the first name and another whose whole value is the last name
    (:meth:`Rules.split_name`).

Letter case means each letter's lower and upper case (ASCII letters fold as every
engine folds them); letters without their diacritics (``Jarvinen`` for
``Järvinen``), initials and a last name alone are not mentions.

The SQL prefilter (:mod:`.sql`) must pass every row these rules find: it looks
for :meth:`Rules.pieces`, text that every mention contains.

>>> from dpo_workbench.criteria import Criteria
>>> rules = Rules(Criteria.parse(email="zoë.müller@example.de", phone="+49 151 2345 6789",
...                              first_name="Zoë", last_name="Müller"))
>>> text = "Mail ZOË.MÜLLER@EXAMPLE.DE or call 0151 / 2345-67 89 (Müller, Zoë)."
>>> [(kind, text[a:b]) for kind, a, b in rules.spans(text)]
[('email', 'ZOË.MÜLLER@EXAMPLE.DE'), ('phone', '0151 / 2345-67 89'), ('name', 'Müller, Zoë')]
>>> rules.kinds("call 0151 2345 67890"), rules.kinds("x.zoë.müller@example.de")
(set(), set())
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from ..criteria import Criteria
from ..normalize import PHONE_SEPARATORS, nfc

#: The kinds of identifier, in the order they are reported.
KINDS: tuple[str, ...] = ("email", "phone", "name")
#: How a receipt names each kind (no values).
KIND_WORDS = {"email": "e-mail address", "phone": "phone number", "name": "name"}
#: The most digits a phone number has (E.164): a redacted number takes no more.
MAX_PHONE_DIGITS = 15

_SEPARATORS = "".join(re.escape(s) for s in PHONE_SEPARATORS)
_SEPARATOR_RUN = f"[{_SEPARATORS}]*"
# Combining marks count as part of a word: "Zoe" is not a word of "Zoë" in NFD.
_WORD = r"\w\u0300-\u036f"


def _forms(ch: str) -> list[str]:
    """Every spelling of one character: its lower and upper case, each in NFC and NFD."""
    cased = {ch, ch.lower(), ch.upper()} if not ch.isascii() else {ch.lower(), ch.upper()}
    out = {f for c in cased for f in (nfc(c), unicodedata.normalize("NFD", c))}
    return sorted(out, key=lambda s: (-len(s), s))  # longest first: the regex tries them so


def _pattern(value: str) -> str:
    """A regular expression for ``value`` in any letter case and Unicode form."""
    parts = []
    for ch in nfc(value):
        if ch.isspace():
            parts.append(r"\s+")
            continue
        forms = _forms(ch)
        parts.append(re.escape(forms[0]) if len(forms) == 1
                     else "(?:" + "|".join(re.escape(f) for f in forms) + ")")
    return "".join(parts)


@dataclass(frozen=True)
class Piece:
    """Text every mention contains, for the SQL prefilter.

    ``fold``: compare ignoring the case of ASCII letters (the piece is ASCII);
    otherwise compare exactly (one of several spellings). ``digits``: the phone's
    digits, which may have separators between them. ``guard``: a character every
    mention holds, cheaper to look for first (an e-mail address's ``@``).
    """

    text: str
    fold: bool = False
    digits: bool = False
    guard: str = ""


#: ASCII letters from the most to the least frequent in names and text: a piece starts
#: at a rare one, so that SQLite's LIKE, which looks for a pattern's first character
#: and compares the rest only there, compares less.
LETTER_RANK = "eaintsorlhkudmcgpvyfbwjzxq"


def _rarity(ch: str) -> int:
    low = ch.lower()
    return LETTER_RANK.index(low) if low in LETTER_RANK else len(LETTER_RANK)


def ascii_piece(value: str, whole: bool = False) -> Piece | None:
    """A piece of the longest run of ASCII characters (no spaces) of ``value``.

    Every spelling the rules accept contains the run: NFD changes only non-ASCII
    letters. The piece is the run's end from its rarest character, keeping at
    least half of it and 3 characters (2 when the run is that short: one LIKE
    still costs less than the spellings of a non-ASCII letter); None when the run
    is shorter than 2. ``whole``: the whole run (an e-mail address's piece, looked
    for only in values holding an ``@``: the longer, the fewer rows pass).

    >>> [p and p.text for p in map(ascii_piece, ["zoë.müller@example.de", "Järvinen", "Zoë",
    ...                                          "Jä"])]
    ['@example.de', 'vinen', 'zo', None]
    """
    runs = re.findall(r"[!-~]+", nfc(value))
    best = max(runs, key=len, default="")
    if len(best) < 2:
        return None
    if whole:
        return Piece(best.lower(), fold=True)
    last = len(best) - min(len(best), max(3, (len(best) + 1) // 2))
    start = max(range(last + 1), key=lambda i: (_rarity(best[i]), -i))
    return Piece(best[start:].lower(), fold=True)


def spelling_pieces(value: str, most: int = 16) -> list[Piece]:
    """Exact spellings of the start of ``value`` (for values without a usable ASCII run).

    >>> [p.text for p in spelling_pieces("Øy")] == ["ØY", "Øy", "øY", "øy"]
    True
    >>> len(spelling_pieces("Äö")), len(spelling_pieces("李"))  # NFC and NFD, both cases
    (16, 1)
    """
    chars = [c for c in nfc(value) if not c.isspace()][:3]
    out = [""]
    for ch in chars:
        grown = [s + f for s in out for f in _forms(ch)]
        if len(grown) > most and out != [""]:
            break
        out = grown
    return [Piece(s) for s in sorted(set(out))]


def pieces_of(value: str, whole: bool = False) -> list[Piece]:
    """The prefilter pieces of an identifier: one ASCII run, or a few exact spellings."""
    piece = ascii_piece(value, whole)
    return [piece] if piece else spelling_pieces(value)


class Rules:
    """The exact rules of a mention for one set of criteria (see the module notes)."""

    def __init__(self, criteria: Criteria):
        self.criteria = criteria
        self.tail = criteria.phone_tail or ""
        self.email = criteria.email or ""
        self.first = criteria.first_name or ""
        self.last = criteria.last_name or ""
        self._res: list[tuple[str, re.Pattern[str]]] = []
        if self.email:
            self._res.append(("email", re.compile(
                r"(?<![\w.%+\-])" + _pattern(self.email) + r"(?![\w\-]|\.[\w])")))
        if self.tail:
            self._res.append(("phone", re.compile(
                _SEPARATOR_RUN.join(self.tail) + r"(?![0-9])")))
        if self.first and self.last:
            first, last = _pattern(self.first), _pattern(self.last)
            between = r"(?:\s*,\s*|\s+)"
            self._res.append(("name", re.compile(
                f"(?<![{_WORD}])(?:{first}{between}{last}|{last}{between}{first})"
                f"(?![{_WORD}])")))
            self._first = re.compile(rf"\s*{first}\s*")
            self._last = re.compile(rf"\s*{last}\s*")
        self._before = re.compile(f"[0-9{_SEPARATORS}]*$")

    @property
    def kinds_given(self) -> tuple[str, ...]:
        """The kinds these criteria look for."""
        return tuple(kind for kind, _ in self._res)

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """``(kind, start, end)`` of every mention in ``text``, in order, overlaps merged."""
        found = []
        for kind, rx in self._res:
            for m in rx.finditer(text):
                start = self._number_start(text, m.start()) if kind == "phone" else m.start()
                found.append((kind, start, m.end()))
        found.sort(key=lambda s: (s[1], -s[2]))
        merged: list[tuple[str, int, int]] = []
        for kind, start, end in found:
            if merged and start < merged[-1][2]:
                k, a, b = merged[-1]
                merged[-1] = (k, a, max(b, end))
            else:
                merged.append((kind, start, end))
        return merged

    def _number_start(self, text: str, start: int) -> int:
        """Where the number whose last digits start at ``start`` begins, as written."""
        run = self._before.search(text, max(0, start - 4 * MAX_PHONE_DIGITS), start)
        if run is None:
            return start
        head = run.group()
        budget = MAX_PHONE_DIGITS - len(self.tail)
        keep = 0
        for i in range(len(head) - 1, -1, -1):  # walk back over at most `budget` digits
            if head[i].isdigit():
                if budget == 0:
                    break
                budget -= 1
                keep = len(head) - i
        begin = start - keep
        if begin > 0 and text[begin - 1] in "+(" and keep:
            begin -= 1
        return begin

    def kinds(self, text: str) -> set[str]:
        """The kinds of identifier ``text`` mentions."""
        return {kind for kind, rx in self._res if rx.search(text)}

    def split_name(self, values: dict[str, str]) -> set[str]:
        """Columns of one row that hold the first name and the last name whole, each alone.

        >>> from dpo_workbench.criteria import Criteria
        >>> r = Rules(Criteria.parse(first_name="Aino", last_name="Järvinen"))
        >>> sorted(r.split_name({"fn": "AINO", "ln": " järvinen", "city": "Espoo"}))
        ['fn', 'ln']
        >>> r.split_name({"fn": "Aino", "ln": "Virtanen"})
        set()
        """
        if not (self.first and self.last):
            return set()
        firsts = {c for c, v in values.items() if self._first.fullmatch(v)}
        lasts = {c for c, v in values.items() if self._last.fullmatch(v)}
        if any(a != b for a in firsts for b in lasts):
            return firsts | lasts
        return set()

    def redact(self, text: str, replacement: str) -> str:
        """``text`` with each mention replaced by ``replacement``; every other character kept.

        >>> from dpo_workbench.criteria import Criteria
        >>> r = Rules(Criteria.parse(phone="+358 40 123 4567"))
        >>> r.redact("Call me: +358 (0)40-123 45 67, or 050 111 2222.", "{X}")
        'Call me: {X}, or 050 111 2222.'
        """
        out, last = [], 0
        for _, start, end in self.spans(text):
            out += [text[last:start], replacement]
            last = end
        out.append(text[last:])
        return "".join(out)

    def pieces(self) -> dict[str, list[Piece]]:
        """Per kind, text every mention of it contains (any one piece), for SQL.

        A name is found when a piece of the first name *and* one of the last name
        are in the row (:data:`FIRST` and :data:`LAST` keys).
        """
        out: dict[str, list[Piece]] = {}
        if self.email:
            out["email"] = [replace(p, guard="@") for p in pieces_of(self.email, whole=True)]
        if self.tail:
            out["phone"] = [Piece(self.tail, digits=True)]
        if self.first and self.last:
            out[FIRST] = pieces_of(self.first)
            out[LAST] = pieces_of(self.last)
        return out

    def shortest(self) -> dict[str, int]:
        """Per prefilter key, the fewest characters a mention takes (to skip short columns)."""
        out: dict[str, int] = {}
        if self.email:
            out["email"] = len(self.email)
        if self.tail:
            out["phone"] = len(self.tail)
        if self.first and self.last:
            out[FIRST] = len(self.first.replace(" ", ""))
            out[LAST] = len(self.last.replace(" ", ""))
        return out


#: Prefilter keys of the name's two parts.
FIRST, LAST = "name.first", "name.last"
