"""How typed and stored text is normalised before it is compared.

The same rules serve the criteria (what the DPO typed), the SQL match
expressions (what the databases hold, :mod:`~dpo_workbench.sqlfuncs`) and the
reference checks in Python (:func:`email_key`, :func:`text_key`,
:func:`phone_digits`), so that the three can never disagree.

- **Whitespace around a value** (spaces, tab, newline, no-break and zero-width
  spaces: :data:`WHITESPACE`) is ignored on both sides.
- **E-mail addresses** are compared without a leading ``mailto:`` and, when
  stored as ``Name <address>``, by the address inside the angle brackets; a domain
  in Unicode and in its ASCII (IDNA) form is the same address.
- **Letter case** never matters, whatever case is typed: each letter stands for
  every letter that folds to the same (``Σ``, ``σ`` and ``ς``), in composed and
  decomposed form. (A letter that folds to two, ``ß`` to ``ss``, is its own.)
- **Phone numbers** lose the separators of :data:`PHONE_SEPARATORS` anywhere; a
  number written in full-width digits (``０４０ １２３ ４５６７``) matches as if written
  in ASCII digits (a number mixing both kinds does not: SQLite cannot translate
  characters inside an index expression, so the search tries both spellings of
  the searched digits instead).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable

#: Whitespace ignored around e-mail addresses and names (stripped at both ends).
WHITESPACE: str = (" \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                   "\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff")

#: Characters removed from phone numbers before comparing, on both sides: spaces of
#: every kind (ordinary, tab, line breaks, no-break, narrow, thin, zero-width,
#: ideographic), hyphens and dashes (the full-width one too), dot, slash,
#: parentheses and the plus sign. The same list drives the SQL expression on every
#: engine; it is kept short because SQLite parses at most about 30 nested calls.
PHONE_SEPARATORS: tuple[str, ...] = (
    " ", "\t", "\n", "\r", "\u00a0", "\u202f", "\u2009", "\u200b", "\u3000",
    "-", "\u2010", "\u2011", "\u2013", "\uff0d",
    ".", "/", "(", ")", "+",
)

#: More non-ASCII cased letters than this and only the all-lower, all-upper and
#: capitalised spellings are tried (the most a search sends is bounded). On SQLite,
#: whose ``lower()`` folds ASCII only, a longer value stored in another mix of cases
#: (``παπαδοπούλοΥ``) is then not found; PostgreSQL and MariaDB fold it.
MAX_CASED = 8


#: Deletes every separator (each is one character) in one pass over the text.
_NO_SEPARATORS = dict.fromkeys(map(ord, PHONE_SEPARATORS))
assert all(len(sep) == 1 for sep in PHONE_SEPARATORS)


def strip_separators(value: str) -> str:
    """Remove the phone separators from ``value`` (nothing else).

    >>> strip_separators("+358 (0)40-123 4567\\n"), strip_separators("０４０－１２３")
    ('3580401234567', '０４０１２３')
    """
    return value.translate(_NO_SEPARATORS)


_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def wide_digits(digits: str) -> str:
    """``digits`` in full-width digits (how some systems store numbers).

    >>> wide_digits("040")
    '０４０'
    """
    return digits.translate(_WIDE)


def nfc(value: str) -> str:
    """``value`` in Unicode normal form C (composed letters)."""
    return unicodedata.normalize("NFC", value)


def ascii_lower(value: str) -> str:
    """Lower-case the ASCII letters only, as SQLite's ``lower()`` does.

    >>> ascii_lower("ÄBC")
    'Äbc'
    """
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in value)


def strip_space(value: str) -> str:
    """``value`` without :data:`WHITESPACE` at either end.

    >>> strip_space("\\u00a0aino@example.fi\\n")
    'aino@example.fi'
    """
    return value.strip(WHITESPACE)


def email_address(value: str) -> str:
    """The address in a stored e-mail value: ``Name <addr>`` and ``mailto:addr`` give ``addr``.

    >>> email_address(" Aino J <AINO@example.fi> "), email_address("mailto:a@b.fi")
    ('AINO@example.fi', 'a@b.fi')
    """
    value = strip_space(value)
    left, right = value.find("<"), value.find(">")
    if left >= 0 and right > left:
        value = strip_space(value[left + 1:right])
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value


@functools.lru_cache(maxsize=4096)
def same_letters(ch: str) -> tuple[str, ...]:
    """Every letter with the same case fold as ``ch``: ``Σ`` -> ``Σ``, ``ς``, ``σ``.

    Compatibility letters (the Kelvin sign, the long s, the Greek phi symbol), whose
    compatibility form is another letter, are left out: stored data spells those
    letters plainly. Case pairs live in the same Unicode block, so only the blocks
    of the letter and of its upper- and lower-case forms are searched.

    >>> same_letters("Σ"), same_letters("ä"), same_letters("1")
    (('Σ', 'ς', 'σ'), ('Ä', 'ä'), ('1',))
    """
    fold = ch.casefold()
    if not ch.isalpha() or len(fold) != 1:
        return (ch,)
    found = {ch}
    for start in {ord(c) & ~0xFF for c in (ch, ch.upper(), ch.lower()) if len(c) == 1}:
        for code in range(start, start + 0x100):
            c = chr(code)
            if c.casefold() == fold and unicodedata.category(c).startswith("L") \
                    and unicodedata.normalize("NFKC", c) == c:
                found.add(c)
    return tuple(sorted(found))


@functools.lru_cache(maxsize=256)
def case_variants(value: str) -> tuple[str, ...]:
    """Every spelling an engine's lower-cased key can give for ``value``, in any case typed.

    Engines fold letter case differently (SQLite's ``lower()`` folds ASCII letters
    only; PostgreSQL's depends on the database locale), so a search compares the
    stored key with every case spelling of the searched value's non-ASCII letters:
    whatever the engine's ``lower()`` does to them, one spelling is equal. Each
    letter stands for every letter with the same case fold, so the result does not
    depend on the case the DPO typed; decomposed (NFD) spellings are included.

    >>> v = case_variants("Zoë@x.de")
    >>> "zoë@x.de" in v, "zoË@x.de" in v, len(v)  # lower, upper, and decomposed
    (True, True, 3)
    >>> case_variants("ΣΟΦΙΑΣ@X.GR") == case_variants("σοφιας@x.gr")
    True
    >>> case_variants("a@b.fi")
    ('a@b.fi',)
    """
    base = ascii_lower(nfc(strip_space(value)))
    options: list[tuple[str, ...]] = []
    cased = 0
    for ch in base:
        members = (ch,) if ch.isascii() else same_letters(ch)
        options.append(members)
        cased += len(members) > 1
    if cased > MAX_CASED:
        # Too many to spell every way: the spellings stored data has, all lower case,
        # all upper case and capitalised words.
        lower = "".join(_pick(o, str.lower) for o in options)
        upper = "".join(_pick(o, str.upper) for o in options)
        title = "".join(_pick(o, str.upper) if i == 0 or not base[i - 1].isalpha()
                        else _pick(o, str.lower) for i, o in enumerate(options))
        spellings = {lower, upper, title}
        # Greek writes a final sigma at the end of a word.
        spellings |= {_FINAL_SIGMA.sub("ς", v) for v in (lower, title)}
    else:
        spellings = {"".join(p) for p in itertools.product(*options)}
    # Decomposed letters: the base letter is ASCII and folds like one.
    spellings |= {ascii_lower(unicodedata.normalize("NFD", s)) for s in spellings}
    return tuple(sorted(spellings))


def _pick(letters: tuple[str, ...], case: Callable[[str], str]) -> str:
    """The letter among ``letters`` that ``case`` leaves as it is, not a final form."""
    return next((c for c in letters if case(c) == c and c != "ς"), letters[0])


_FINAL_SIGMA = re.compile(r"(?<=\w)σ(?!\w)")


def idna_forms(address: str) -> tuple[str, ...]:
    """The address with its domain in Unicode and in ASCII (IDNA), where they differ.

    >>> idna_forms("info@müller.de")
    ('info@müller.de', 'info@xn--mller-kva.de')
    >>> idna_forms("info@xn--mller-kva.de")
    ('info@xn--mller-kva.de', 'info@müller.de')
    >>> idna_forms("INFO@XN--MLLER-KVA.DE")
    ('INFO@XN--MLLER-KVA.DE', 'INFO@müller.de')
    """
    local, at, domain = address.rpartition("@")
    if not at:
        return (address,)
    forms = [address]
    try:
        # ASCII labels are case-free, and the codec only decodes a lower-case "xn--"
        ascii_domain = domain.encode("idna").decode("ascii").lower()
        unicode_domain = ascii_domain.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return (address,)
    for other in (ascii_domain, unicode_domain):
        candidate = f"{local}@{other}"
        if candidate.casefold() not in {f.casefold() for f in forms}:
            forms.append(candidate)
    return tuple(forms)


@functools.lru_cache(maxsize=256)
def email_variants(address: str) -> tuple[str, ...]:
    """Every key spelling of a searched address: IDNA forms times case spellings."""
    return tuple(sorted({v for form in idna_forms(email_address(address))
                         for v in case_variants(form)}))


def text_equal(value: object, variants: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether a stored text equals one of the spellings, as the SQL name key compares.

    The SQL key is the value without surrounding whitespace, lower-cased.

    >>> text_equal(" AINO\\n", case_variants("aino")), text_equal(None, ("x",))
    (True, False)
    """
    if not isinstance(value, str):
        return False
    v = strip_space(value)
    return ascii_lower(v) in variants or v.lower() in variants


def email_equal(value: object, variants: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether a stored e-mail value holds the address, as the SQL e-mail key compares."""
    return isinstance(value, str) and text_equal(email_address(value), variants)
