"""Search criteria: the product's rules, validated and normalised before any query.

The rules (the same in the dashboard, the API and the command line):

- **E-mail**: one address of the form ``local@domain.tld``; matched ignoring letter
  case, non-ASCII letters included, on every engine.
- **Phone**: one number. The separators in
  :data:`~dpo_workbench.normalize.PHONE_SEPARATORS` are removed;
  what remains must be at least 3 digits. A stored number matches when its last
  *N* digits, after removing the same separators, equal the last *N* digits of the
  searched number, where *N* is "digits used in search" (at least 3, default
  :data:`DEFAULT_DIGITS`). A searched number shorter than *N* is compared whole.
- **Name**: first and last name both, or neither; matched ignoring letter case and
  Unicode normal form. A name finds only Directory Entries and Outbound Campaign
  Customers.
- **Dates**: start and/or end date (inclusive); start after end is an error. The
  span restricts rows that have a time column.
- At least one of e-mail, phone and name; they combine with OR.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from .errors import InvalidCriteria
from .normalize import email_address, nfc, strip_separators, strip_space
from .phoneplans import national_length

#: Digits compared from the end of phone numbers when the DPO does not say. Seven
#: digits match national and international spellings of the same number in every
#: numbering plan the demo uses (their national significant numbers have at least
#: eight digits) while making a match with another person's number rare.
DEFAULT_DIGITS = 7
MIN_DIGITS = 3
MAX_DIGITS = 20

#: The fields of the criteria, in the order forms and commands show them.
FIELDS: tuple[str, ...] = ("email", "phone", "first_name", "last_name", "start", "end", "digits")

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def _given(value: Any) -> Any:
    """``value``, or None when it says "not given": None, blank text, NaN, ``pandas.NA``."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(nfc(value).split())
    return value or None


def _parse_date(value: Any, field_name: str, problems: dict[str, str]) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    label = "Start date" if field_name == "start" else "End date"
    problems[field_name] = f"{label} is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31."
    return None


@dataclass(frozen=True, repr=False)
class Criteria:
    """Validated, normalised search criteria.

    Build them with :meth:`Criteria.parse`, which applies every rule and raises
    :class:`~dpo_workbench.errors.InvalidCriteria` listing each broken one. The
    ``repr`` hides the values, so criteria can appear in logs.

    Examples
    --------
    >>> c = Criteria.parse(phone="+358 40-123 4567", digits=7)
    >>> c.phone, c.phone_tail
    ('358401234567', '1234567')
    >>> c
    Criteria(phone=<hidden>, digits=7)
    >>> try:
    ...     Criteria.parse(first_name="Aino")
    ... except InvalidCriteria as exc:
    ...     print(exc.problems)
    {'last_name': 'Enter the last name too: a name search needs both first and last name.'}
    """

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    start: date | None = None
    end: date | None = None
    digits: int = DEFAULT_DIGITS
    #: The length of the phone number's national significant number, when it was
    #: typed with its country code and the numbering plan allows that length: no
    #: more digits are compared than national spellings of the number have.
    national_digits: int | None = None

    @classmethod
    def parse(
        cls,
        email: str | None = None,
        phone: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        start: date | str | None = None,
        end: date | str | None = None,
        digits: int | str | None = None,
    ) -> Criteria:
        """Validate and normalise raw input (strings as typed, or dates).

        Empty input means "not given" in any form a caller may have it: None, an
        empty or blank text, NaN or ``pandas.NA`` (a cell of a requests CSV).
        """
        problems: dict[str, str] = {}
        email, phone, first_name, last_name, start, end, digits = (
            _given(v) for v in (email, phone, first_name, last_name, start, end, digits))

        email_n = email_address(nfc(str(email))) if email is not None else ""
        if email_n and (len(email_n) > 254 or not _EMAIL_RE.match(email_n)):
            problems["email"] = ("E-mail address is not valid: enter one address like "
                                 "name@example.com.")
        phone_n = ""
        national = None
        if phone is not None:
            typed = strip_space(nfc(str(phone)))
            phone_n = strip_separators(typed)
            international = typed.startswith(("+", "\uff0b")) or phone_n.startswith("00")
            if international and phone_n.isascii() and phone_n.isdigit():
                national = national_length(phone_n[2:] if phone_n.startswith("00")
                                           else phone_n)
            if not (phone_n.isascii() and phone_n.isdigit()):
                problems["phone"] = ("Phone number may contain only digits, spaces and the "
                                     "separators - . / ( ) +.")
            elif len(phone_n) < MIN_DIGITS:
                problems["phone"] = f"Phone number needs at least {MIN_DIGITS} digits."

        n_digits = DEFAULT_DIGITS
        if digits is not None:
            try:
                whole = isinstance(digits, float) and digits.is_integer()
                n_digits = int(digits) if whole else int(str(digits).strip())
            except ValueError:
                problems["digits"] = "Digits used in search must be a whole number."
            else:
                if not MIN_DIGITS <= n_digits <= MAX_DIGITS:
                    problems["digits"] = (f"Digits used in search must be between {MIN_DIGITS} "
                                          f"and {MAX_DIGITS}.")

        first = _clean_name(first_name)
        last = _clean_name(last_name)
        if first and not last:
            problems["last_name"] = ("Enter the last name too: a name search needs both first "
                                     "and last name.")
        elif last and not first:
            problems["first_name"] = ("Enter the first name too: a name search needs both first "
                                      "and last name.")

        start_d = _parse_date(start, "start", problems)
        end_d = _parse_date(end, "end", problems)
        if start_d and end_d and start_d > end_d:
            problems["end"] = "End date is before the start date."

        if not problems and not (email_n or phone_n or (first and last)):
            problems["criteria"] = "Enter an e-mail address, a phone number or a name to search."
        if problems:
            raise InvalidCriteria(problems)
        return cls(
            email=email_n or None,
            phone=phone_n or None,
            first_name=first if (first and last) else None,
            last_name=last if (first and last) else None,
            start=start_d,
            end=end_d,
            digits=n_digits,
            national_digits=national if phone_n else None,
        )

    @staticmethod
    def given(fields: Mapping[str, Any]) -> bool:
        """Whether raw input holds any criterion ("digits used in search" alone is none).

        >>> Criteria.given({"digits": "7", "email": ""}), Criteria.given({"phone": "040"})
        (False, True)
        """
        return any(v not in (None, "") and not (isinstance(v, str) and not v.strip())
                   for k, v in fields.items() if k != "digits")

    # -- derived values -------------------------------------------------------------

    @property
    def has_name(self) -> bool:
        return bool(self.first_name and self.last_name)

    @property
    def kinds(self) -> frozenset[str]:
        """The identity criteria given: some of ``phone``, ``email``, ``name``."""
        given = {"phone": bool(self.phone), "email": bool(self.email), "name": self.has_name}
        return frozenset(k for k, v in given.items() if v)

    @property
    def phone_tail(self) -> str | None:
        """The digits compared from the end of stored numbers (``digits`` of them).

        Never more than the searched number has, nor than its national number has
        (:attr:`national_digits`).
        """
        if not self.phone:
            return None
        return self.phone[-min(self.digits, len(self.phone),
                               self.national_digits or MAX_DIGITS):]

    @property
    def capped(self) -> bool:
        """Whether the national number's length lowered the digits compared."""
        return bool(self.phone and self.national_digits
                    and self.national_digits < min(self.digits, len(self.phone)))

    @property
    def start_at(self) -> datetime | None:
        """The first instant of the span (start of the start date)."""
        return datetime.combine(self.start, time.min) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """The first instant after the span (start of the day after the end date).

        ``None`` when there is no end date, or when the day after it does not exist
        (9999-12-31): the span then runs to the end of time.

        Examples
        --------
        >>> Criteria.parse(email="a@b.fi", end="2025-03-01").end_before
        datetime.datetime(2025, 3, 2, 0, 0)
        >>> Criteria.parse(email="a@b.fi", end="9999-12-31").end_before is None
        True
        """
        if self.end is None or self.end >= date.max:
            return None
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def validated(self) -> Criteria:
        """Apply :meth:`parse` to these values (criteria built directly are checked too)."""
        checked = Criteria.parse(self.email, self.phone, self.first_name, self.last_name,
                                 self.start, self.end, self.digits)
        return replace(checked, national_digits=self.national_digits if self.phone else None)

    def with_dates(self, start: date | None, end: date | None) -> Criteria:
        """Return a copy with another date span (checked like :meth:`parse`)."""
        return replace(self, start=start, end=end).validated()

    def describe(self) -> str:
        """Say in words what will be searched, without the values themselves."""
        parts = []
        if self.email:
            parts.append("the e-mail address (any letter case)")
        if self.phone:
            capped = " (its national number's length)" if self.capped else ""
            parts.append(f"the phone number's last {len(self.phone_tail or '')} digits{capped}")
        if self.has_name:
            parts.append("first and last name")
        span = ""
        if self.start or self.end:
            span = (f", in rows dated {self.start.isoformat() if self.start else 'any time'}"
                    f" to {self.end.isoformat() if self.end else 'now'}")
        return " or ".join(parts) + span

    def fingerprint(self, key: bytes) -> str:
        """A keyed hash (HMAC-SHA256) of the criteria, for the audit log.

        It identifies a repeated search without revealing the searched person.
        """
        payload = json.dumps(
            {"email": self.email.casefold() if self.email else None,
             "phone": self.phone_tail,
             "first_name": self.first_name.casefold() if self.first_name else None,
             "last_name": self.last_name.casefold() if self.last_name else None,
             "start": self.start.isoformat() if self.start else None,
             "end": self.end.isoformat() if self.end else None},
            sort_keys=True,
        ).encode("utf-8")
        return hmac.new(key, payload, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        shown = []
        for name in ("email", "phone", "first_name", "last_name"):
            if getattr(self, name):
                shown.append(f"{name}=<hidden>")
        if self.start:
            shown.append(f"start={self.start.isoformat()}")
        if self.end:
            shown.append(f"end={self.end.isoformat()}")
        if self.phone:
            shown.append(f"digits={self.digits}")
        return f"Criteria({', '.join(shown)})"

    __str__ = __repr__
