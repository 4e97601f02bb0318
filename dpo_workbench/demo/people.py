"""The demo's made-up population: names, phone numbers, e-mail addresses, places.

People are drawn as small integers (country, indexes into :data:`FIRST` and
:data:`LAST`, numbering plan and subscriber part of the phone number), vectorised
with numpy; text is made only when a row is written. Nobody drawn shares a sample
subject's name, e-mail address or the last seven digits of its phone number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import names as N
from .common import SPAN_DAYS
from .samples import SAMPLES, reserved_suffixes

# ======================================================================================
# Lookup tables derived from names.py

_C = N.COUNTRIES
FIRST = tuple(n for c in _C for n in c.first_names)
LAST = tuple(n for c in _C for n in c.last_names)
_FIRST_OFF = np.cumsum([0] + [len(c.first_names) for c in _C])[:-1]
_FIRST_LEN = np.array([len(c.first_names) for c in _C])
_LAST_OFF = np.cumsum([0] + [len(c.last_names) for c in _C])[:-1]
_LAST_LEN = np.array([len(c.last_names) for c in _C])
_COUNTRY_P = np.array([c.weight for c in _C]) / sum(c.weight for c in _C)

# Every numbering plan of every country, flat: (country index, landline?, plan).
_PLANS = tuple((ci, kind, p) for ci, c in enumerate(_C)
               for kind, plans in enumerate((c.mobile, c.landline)) for p in plans)
_PLAN_AREA = np.array([int(p.area) for _, _, p in _PLANS], dtype=np.int64)
_PLAN_REST = np.array([p.rest_len for _, _, p in _PLANS], dtype=np.int64)
_PLAN_TEXT = tuple((_C[ci].calling_code, _C[ci].trunk, p.area, p.rest_len, p.groups)
                   for ci, _, p in _PLANS)
FORMAT_P = np.array(N.PHONE_FORMAT_WEIGHTS) / sum(N.PHONE_FORMAT_WEIGHTS)
_RESERVED = np.array(sorted(int(s) for s in reserved_suffixes(7)), dtype=np.int64)
_FORBIDDEN_EMAILS = frozenset(e.casefold() for s in SAMPLES for e in (s.email, *s.email_spellings))
FORBIDDEN_NAMES = tuple((s.first_name, s.last_name) for s in SAMPLES)


def phone_text(plan: int, rest: int, fmt: int) -> str:
    """One spelling of a number given as numbering plan and subscriber part.

    ``plan`` indexes the flat list of every country's numbering plans, ``fmt``
    :data:`names.PHONE_FORMATS`.

    Examples
    --------
    >>> phone_text(0, 1234567, 0), phone_text(0, 1234567, 6), phone_text(0, 1234567, 5)
    ('+358 40 123 4567', '(040) 1234567', '00358401234567')
    """
    cc, trunk, area, rest_len, groups = _PLAN_TEXT[plan]
    return N.PHONE_FORMATS[fmt](cc, trunk, area, f"{rest:0{rest_len}d}", groups)


# ======================================================================================
# People


@dataclass(frozen=True)
class People:
    """A population: country, name, phone number (plan + subscriber part), e-mail."""

    country: np.ndarray
    first: np.ndarray
    last: np.ndarray
    plan: np.ndarray
    rest: np.ndarray
    email: list[str]

    def __len__(self) -> int:
        return len(self.country)


def pick_names(country: np.ndarray, u_first: np.ndarray,
               u_last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes into FIRST and LAST of names of ``country``, from uniform draws in [0, 1)."""
    first = _FIRST_OFF[country] + (u_first * _FIRST_LEN[country]).astype(np.int64)
    last = _LAST_OFF[country] + (u_last * _LAST_LEN[country]).astype(np.int64)
    return first, last


def next_last(country: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The last name after ``last`` in its country's list (wrapping round)."""
    return _LAST_OFF[country] + (last - _LAST_OFF[country] + 1) % _LAST_LEN[country]


def draw_numbers(rng: np.random.Generator, country: np.ndarray,
                 landline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Random (plan, subscriber part) per row, never ending with a sample subject's digits."""
    plan = np.zeros(len(country), dtype=np.int64)
    for ci in range(len(_C)):
        for kind in (0, 1):
            mask = (country == ci) & (landline == bool(kind))
            ids = [i for i, (pc, pk, _) in enumerate(_PLANS) if pc == ci and pk == kind]
            if mask.any():
                w = np.array([_PLANS[i][2].weight for i in ids])
                plan[mask] = rng.choice(ids, size=int(mask.sum()), p=w / w.sum())
    rest = _draw_rest(rng, plan)
    while True:
        tail = (_PLAN_AREA[plan] * 10 ** _PLAN_REST[plan] + rest) % 10**7
        bad = np.isin(tail, _RESERVED)
        if not bad.any():
            return plan, rest
        rest[bad] = _draw_rest(rng, plan[bad])


def _draw_rest(rng: np.random.Generator, plan: np.ndarray) -> np.ndarray:
    return (rng.random(len(plan)) * 10.0 ** _PLAN_REST[plan]).astype(np.int64)


def draw_people(rng: np.random.Generator, n: int) -> People:
    """``n`` random people; none shares a sample subject's name, e-mail or number suffix."""
    country = rng.choice(len(_C), size=n, p=_COUNTRY_P)
    first, last = pick_names(country, rng.random(n), rng.random(n))
    for f_name, l_name in FORBIDDEN_NAMES:
        for fi in (i for i, x in enumerate(FIRST) if x == f_name):
            for li in (i for i, x in enumerate(LAST) if x == l_name):
                clash = (first == fi) & (last == li)
                last[clash] = next_last(country[clash], li)
    plan, rest = draw_numbers(rng, country, rng.random(n) < 0.12)
    return People(country, first, last, plan, rest, _emails(rng, country, first, last))


def _emails(rng: np.random.Generator, country: np.ndarray, first: np.ndarray,
            last: np.ndarray) -> list[str]:
    n = len(country)
    pattern = rng.choice(N.EMAIL_PATTERNS, size=n, p=[0.4, 0.15, 0.12, 0.13, 0.08, 0.12])
    number = rng.integers(1, 100, n)
    keep = rng.random(n) < 0.03  # some people keep their letters: zoë.müller@...
    domain = rng.integers(0, 1 << 20, n)
    out = []
    for c, f, l_, p, num, k, d in zip(country.tolist(), first.tolist(), last.tolist(),
                                      pattern.tolist(), number.tolist(), keep.tolist(),
                                      domain.tolist(), strict=True):
        doms = _C[c].domains
        address = f"{N.email_local(FIRST[f], LAST[l_], p, num, k)}@{doms[d % len(doms)]}"
        if address.casefold() in _FORBIDDEN_EMAILS:
            address = f"{N.email_local(FIRST[f], LAST[l_], 3, num + 100, k)}@{doms[0]}"
        out.append(address)
    return out


def display_name(first: str, last: str, style: int) -> str:
    """A person's name the way a mail client or directory shows it."""
    if style == 1:
        return f"{last}, {first}"
    if style == 2:
        return f"{last.upper()} {first}"
    if style == 3:
        return first
    return f"{first} {last}"


def nickname(first: str, last: str, style: int) -> str:
    """A person's name the way a chat or messenger shows it."""
    if style == 1:
        return f"{N.ascii_fold(first).lower()}{style * 17 + len(last) * 3}"
    if style == 2:
        return f"{first} {last[0]}."
    if style == 3:
        return f"{first} {last}"
    return first


# ======================================================================================
# Text with placeholders


def place(country: int, key: int) -> tuple[str, str, str]:
    """(street address, postal code, city) of a person, derived from its key."""
    c = _C[country]
    street = c.streets[key % len(c.streets)]
    number = key % 89 + 1
    address = f"{number} {street}" if c.number_first else f"{street} {number}"
    city, postal = c.cities[(key // 7) % len(c.cities)]
    return address, postal, city


_DATES = tuple(str(d) for d in np.datetime64("2024-01-01") + np.arange(SPAN_DAYS + 400))


def context(first: str, last: str, agent: str, key: int, phone: str, email: str,
            where: tuple[str, str, str]) -> dict[str, str]:
    """Placeholder values of a person's texts ({first}, {order}, {phone}...)."""
    return {
        "first": first, "last": last, "agent": agent, "phone": phone, "email": email,
        "order": f"{100000 + (key * 7919) % 900000}",
        "invoice": f"{2024 + key % 3}-{(key * 104729) % 1000000:06d}",
        "amount": f"{(key * 37) % 300 + 9.9:.2f}",
        "date": _DATES[(key * 37) % SPAN_DAYS],
        "street": where[0], "city": where[2],
    }


def email_body(ctx: Mapping[str, str], greeting: str, topic: str, picks: Sequence[int],
               sign: int, outgoing: bool) -> str:
    """An e-mail from the person (or, ``outgoing``, the agent's reply to it)."""
    if outgoing:
        reply = N.AGENT_REPLIES[picks[0] % len(N.AGENT_REPLIES)].format(**ctx)
        return (f"{greeting} {ctx['first']},\n\n{reply}\n\n{N.SIGN_OFFS[sign]},\n"
                f"{ctx['agent']}\nDemo contact centre")
    pool = N.SENTENCES[topic]
    lines = [pool[p % len(pool)].format(**ctx) for p in picks]
    middle = " ".join(lines[:2]) + ("\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")
    return f"{greeting},\n\n{middle}\n\n{N.SIGN_OFFS[sign]},\n{ctx['first']} {ctx['last']}"
