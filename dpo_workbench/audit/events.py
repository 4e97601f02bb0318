"""What the audit log records: actions, events before and after storing, no personal data.

An event names the workbench user (the DPO, not the data subject), the action,
the tables touched with their row counts, and non-personal facts in ``detail``
(counts, format, file kind, plan token, durations, outcome), and the request
reference (the DPO's case number) when the step belongs to one. The search criteria
appear only as a *keyed* hash, :meth:`Criteria.fingerprint`
(HMAC-SHA256), which tells two identical searches apart from different ones
without revealing the searched person (the key: :mod:`dpo_workbench.audit.keys`).
So the log keeps no personal data after an erasure.

As a last line of defence, :class:`AuditEvent` refuses a ``detail`` text, or a
user name, that looks like an e-mail address or a phone number, and a reference
with an ``@`` in it (see :func:`personal_data_reason`, :func:`check_user` and
:func:`check_reference`).
"""

from __future__ import annotations

import getpass
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..criteria import Criteria

#: A value allowed in :attr:`AuditEvent.detail`.
Scalar = str | int | float | bool | None

#: Longest workbench user name an event takes (the stored column's width).
MAX_USER = 200
#: Longest request reference (the DPO's case number) an event takes.
MAX_REFERENCE = 64
_MAX_TABLE = 200
_MAX_DETAIL_TEXT = 1000
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_DETAIL_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Personal-data guard (see personal_data_reason).
_EMAIL_LIKE_RE = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+")
_HEX_TOKEN_RE = re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}\b"
                           r"|\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_ISO_STAMP_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")
_DIGIT_SEPARATORS_RE = re.compile(r"(?<=\d)[ \t\u00a0\u202f\u2009\-\u2010\u2011\u2013./()]+(?=\d)")
_LONG_DIGITS_RE = re.compile(r"\d{6,}")


class Action(StrEnum):
    """What a workbench user did."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SEARCH = "search"
    DETAILS_VIEWED = "details_viewed"
    FILE_DOWNLOADED = "file_downloaded"
    FILE_PLAYED = "file_played"
    FILE_SHOWN = "file_shown"
    REPORT_CREATED = "report_created"
    ERASURE_PLANNED = "erasure_planned"
    ERASURE_EXECUTED = "erasure_executed"
    ERASURE_VERIFIED = "erasure_verified"
    ERASURE_FAILED = "erasure_failed"
    ERASURE_REFUSED = "erasure_refused"
    MENTIONS_REDACTED = "mentions_redacted"  # mention-only redaction (dpo_workbench.sweep)


def personal_data_reason(text: str) -> str | None:
    """Say why ``text`` looks like personal data, or ``None`` when it does not.

    The audit log's last line of defence, applied to every ``detail`` text. It
    refuses text containing something shaped like an e-mail address, or six or
    more digits in a row once the phone separators between digits are removed
    (``040-123 4567`` counts as ten digits). ISO dates and times, UUIDs, and
    hexadecimal tokens of 16+ characters with at least one letter (plan tokens,
    hashes) are ignored; give counts and durations as numbers, not text. It
    cannot recognise names: never put a name into ``detail``.

    Examples
    --------
    >>> personal_data_reason("csv") is None
    True
    >>> personal_data_reason("sent to aino@example.fi")
    'looks like an e-mail address'
    >>> personal_data_reason("+358 40 123 4567")
    'contains a number of 6 or more digits (a phone number?)'
    >>> personal_data_reason("plan 3f2a9c1b7e4d5a6b8c9d0e1f22334455 at 2025-03-01T10:00:00.123456")
    """
    if _EMAIL_LIKE_RE.search(text):
        return "looks like an e-mail address"
    rest = _ISO_STAMP_RE.sub(" ", _HEX_TOKEN_RE.sub(" ", text))
    if _LONG_DIGITS_RE.search(_DIGIT_SEPARATORS_RE.sub("", rest)):
        return "contains a number of 6 or more digits (a phone number?)"
    return None


def os_account() -> str:
    """The operating-system account running this process, as events record it.

    The account of the effective user id (not ``$USER``, which the caller can
    set to anything); :func:`getpass.getuser` where there is no ``pwd`` module.
    A name the log would refuse as a user (see :func:`check_user`) is recorded
    as ``uid N`` instead, so that the account is still named.

    Examples
    --------
    >>> os_account() == check_user(os_account())
    True
    """
    try:
        import pwd

        name = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # no pwd module (Windows), or an account without a name
        try:
            name = getpass.getuser()
        except (ImportError, KeyError, OSError):
            name = ""
    try:
        return check_user(name)
    except UsageError:
        geteuid = getattr(os, "geteuid", None)
        return f"uid {geteuid()}" if geteuid else "unknown"


def time_text(at: datetime) -> str:
    """``at`` as the log stores it: ISO text in UTC, to the microsecond.

    Examples
    --------
    >>> time_text(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    '2025-01-02T03:04:05.000000+00:00'
    """
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def check_user(user: object) -> str:
    """``user`` if the log accepts it as who acts, else a UsageError (a ValueError).

    A workbench user name of 1 to :data:`MAX_USER` characters without
    surrounding spaces that passes :func:`personal_data_reason`: the name is
    declared by whoever runs the workbench (``--user`` on the command line), so
    a data subject's e-mail address or phone number typed there must not reach
    the append-only log. The message never repeats the name.

    Examples
    --------
    >>> check_user("dpo")
    'dpo'
    >>> check_user("aino.jarvinen@example.fi")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: The user name for the audit log looks like an e-mail ...
    """
    if not isinstance(user, str) or not user or user != user.strip() or len(user) > MAX_USER:
        raise UsageError(f"An audit event's user must be a workbench user name of 1 to {MAX_USER} "
                         "characters without surrounding spaces.")
    reason = personal_data_reason(user)
    if reason:
        raise UsageError(f"The user name for the audit log {reason}; the audit log keeps no "
                         "personal data. Name who acts with a workbench user name such as "
                         "'dpo' (--user on the command line).")
    return user


def check_reference(reference: object) -> str:
    """``reference`` if the log accepts it as a request reference, else a UsageError.

    A request reference is the DPO's case number (``DPO-2025-017``), recorded in
    every event of the request so that the case can be followed through the log
    (``audit list --reference``). It is not personal data, so digits are fine; but
    it must be 1 to :data:`MAX_REFERENCE` printable characters without surrounding
    spaces and without ``@``: a data subject's e-mail address typed as the case
    number would stay in the append-only log. The message never repeats the
    reference.

    Examples
    --------
    >>> check_reference("DPO-2025-000017")
    'DPO-2025-000017'
    >>> check_reference("aino.jarvinen@example.fi")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.UsageError: The request reference looks like an e-mail address; ...
    """
    if not isinstance(reference, str) or not reference or reference != reference.strip() \
            or len(reference) > MAX_REFERENCE or not reference.isprintable():
        raise UsageError(f"A request reference must be 1 to {MAX_REFERENCE} printable characters "
                         "without surrounding spaces, such as the case number DPO-2025-017.")
    if "@" in reference:
        raise UsageError("The request reference looks like an e-mail address; the audit log "
                         "keeps no personal data. Use the case number, such as DPO-2025-017.")
    return reference


def _check_criteria_hash(value: object) -> str | None:
    """The criteria fingerprint or ``None``, if well formed."""
    # Only a fingerprint passes, so raw criteria cannot be stored here by mistake.
    if value is None:
        return None
    if not isinstance(value, str) or not _HEX64_RE.match(value):
        raise ValueError("criteria_hash must be Criteria.fingerprint(key) (64 hexadecimal "
                         "digits) or None; never pass the criteria themselves.")
    return value


def _check_tables(tables: Mapping[str, int]) -> Mapping[str, int]:
    """A sorted copy of the table row counts, if every name and count is valid."""
    checked: dict[str, int] = {}
    for name, rows in tables.items():
        if not isinstance(name, str) or not name or len(name) > _MAX_TABLE:
            raise ValueError(f"Audit table names must be 'database.table' texts of 1 to "
                             f"{_MAX_TABLE} characters.")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise ValueError(f"The row count of {name} in an audit event must be a whole number "
                             ">= 0.")
        checked[name] = rows
    return dict(sorted(checked.items()))  # a copy, so later changes by the caller do not count


def _check_detail_value(key: str, value: object) -> Scalar:
    """One detail value, if it is a scalar that holds no personal data."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Audit detail {key!r} must be a finite number.")
        return value
    if isinstance(value, str):
        if len(value) > _MAX_DETAIL_TEXT:
            raise ValueError(f"Audit detail {key!r} is longer than {_MAX_DETAIL_TEXT} characters.")
        reason = personal_data_reason(value)
        if reason:
            # The value itself stays out of the message: it may be the personal data.
            raise ValueError(f"Audit detail {key!r} {reason}; the audit log keeps no personal "
                             "data. Record counts, kinds or a criteria hash instead.")
        return value
    raise ValueError(f"Audit detail {key!r} must be a text, number, true/false or None, "
                     f"not {type(value).__name__}.")


def _check_detail(detail: Mapping[str, Scalar]) -> Mapping[str, Scalar]:
    """A sorted copy of ``detail``, if every name and value is valid."""
    checked: dict[str, Scalar] = {}
    for key, value in detail.items():
        if not isinstance(key, str) or not _DETAIL_KEY_RE.match(key):
            raise ValueError("Audit detail names must be identifiers such as 'items' or "
                             "'file_kind' (letters, digits, _ . -, at most 64 characters).")
        checked[key] = _check_detail_value(key, value)
    return dict(sorted(checked.items()))  # a copy, so later changes by the caller do not count


@dataclass(frozen=True)
class AuditEvent:
    """One thing a workbench user did, before it is stored.

    Build it with :meth:`build` when criteria are involved, so that only their
    keyed hash is kept. Construction checks every field and raises
    :class:`ValueError` (without the offending value in the message) when the
    user or a ``detail`` text looks like an e-mail address or a phone number
    (for the user, a :class:`~dpo_workbench.errors.UsageError`). ``reference`` is
    the request's reference (the DPO's case number, :func:`check_reference`).

    Examples
    --------
    >>> from dpo_workbench.criteria import Criteria
    >>> e = AuditEvent.build("dpo", Action.SEARCH, criteria=Criteria.parse(phone="040 123 4567"),
    ...                      key=b"k" * 32, tables={"operative.contacts": 3},
    ...                      detail={"items": 3})
    >>> e.action, len(e.criteria_hash), dict(e.tables)
    (<Action.SEARCH: 'search'>, 64, {'operative.contacts': 3})
    >>> AuditEvent("dpo", Action.SEARCH, detail={"note": "aino@example.fi"})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Audit detail 'note' looks like an e-mail address; the audit log keeps no ...
    """

    user: str
    action: Action
    criteria_hash: str | None = None
    tables: Mapping[str, int] = field(default_factory=dict)
    detail: Mapping[str, Scalar] = field(default_factory=dict)
    reference: str | None = None

    def __post_init__(self) -> None:
        try:
            action = Action(self.action)
        except ValueError:
            valid = ", ".join(a.value for a in Action)
            raise ValueError(f"Unknown audit action; valid actions are {valid}.") from None
        object.__setattr__(self, "user", check_user(self.user))
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "criteria_hash", _check_criteria_hash(self.criteria_hash))
        object.__setattr__(self, "tables", _check_tables(self.tables))
        object.__setattr__(self, "detail", _check_detail(self.detail))
        if self.reference is not None:
            object.__setattr__(self, "reference", check_reference(self.reference))

    @classmethod
    def build(
        cls,
        user: str,
        action: Action | str,
        *,
        criteria: Criteria | None = None,
        key: bytes | None = None,
        tables: Mapping[str, int] | None = None,
        detail: Mapping[str, Scalar] | None = None,
        reference: str | None = None,
    ) -> AuditEvent:
        """Make an event, hashing ``criteria`` with ``key`` (the audit key).

        Examples
        --------
        >>> AuditEvent.build("dpo", "login").action
        <Action.LOGIN: 'login'>
        """
        fingerprint = None
        if criteria is not None:
            if not key:
                raise ValueError("Give the audit key to hash the criteria (AuditLog.key).")
            fingerprint = criteria.fingerprint(key)
        return cls(user=user, action=Action(action), criteria_hash=fingerprint,
                   tables=dict(tables or {}), detail=dict(detail or {}), reference=reference)

    @property
    def rows(self) -> int:
        """Rows touched, over all tables."""
        return sum(self.tables.values())


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored in the log, with its place in the chain.

    ``action`` is an :class:`Action`, or the stored text when this version of the
    workbench does not know it. ``at`` is in UTC. ``user`` is who acts as
    declared (the workbench user); ``os_user`` the operating-system account of
    the process that wrote the event (:func:`os_account`), ``None`` for events
    written before the log recorded it.
    """

    id: int
    at: datetime
    user: str
    action: Action | str
    criteria_hash: str | None
    tables: Mapping[str, int]
    detail: Mapping[str, Scalar]
    prev_hash: str
    hash: str
    os_user: str | None = None
    reference: str | None = None

    @property
    def rows(self) -> int:
        """Rows touched, over all tables."""
        return sum(self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``at`` as ISO text).

        Examples
        --------
        >>> from dpo_workbench.audit.chain import GENESIS_HASH
        >>> e = StoredEvent(1, datetime(2025, 1, 2, tzinfo=UTC), "dpo", Action.LOGIN, None, {},
        ...                 {}, GENESIS_HASH, "ab" * 32)
        >>> e.to_dict()["at"], e.to_dict()["action"], e.to_dict()["os_user"]
        ('2025-01-02T00:00:00.000000+00:00', 'login', None)
        """
        return {"id": self.id, "at": time_text(self.at), "user": self.user,
                "os_user": self.os_user, "action": str(self.action),
                "criteria_hash": self.criteria_hash, "tables": dict(self.tables),
                "detail": dict(self.detail), "reference": self.reference,
                "prev_hash": self.prev_hash, "hash": self.hash}

