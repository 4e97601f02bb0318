"""The audit log: who did what, when, on which tables and how many rows.

Every step of the workbench (log on, search, details viewed, file downloaded,
report created, erasure planned / executed / verified ...) appends one
:class:`AuditEvent` to the table ``audit_events`` in the workbench's own state
database (``state:`` in the settings file; SQLite by default, PostgreSQL and
MariaDB work too). The log is **append-only**: :class:`AuditLog` has no update or
delete method. It keeps no personal data: the search criteria only as a keyed
hash, and every ``detail`` text passes :func:`personal_data_reason`.

One concern a module:

- :mod:`.events`: :class:`Action`, :class:`AuditEvent` (checked on
  construction), :class:`StoredEvent` and the personal-data guard;
- :mod:`.keys`: the audit key file (:func:`load_or_create_key`,
  :func:`audit_key_path`, :func:`log_key`), why the key matters and when a
  new one may be made;
- :mod:`.headfile`: the chain's head kept in a file beside the key file, only
  ever advanced;
- :mod:`.chain`: the keyed hash chain and its checks, pure functions over plain
  rows (:class:`VerifyReport`), and what tampering they detect;
- :mod:`.tables`: the two tables in the state database and reading a row back;
- :mod:`.log`: :class:`AuditLog` (appends serialised per engine, listing,
  verifying) and :func:`open_audit_log`;
- :mod:`.text`: :func:`format_events` and the verify report in words.

Examples
--------
>>> log = AuditLog("sqlite://", b"k" * 32)
>>> log.record("dpo", Action.LOGIN).id, log.verify().ok
(1, True)
"""

from __future__ import annotations

from .chain import GENESIS_HASH, VerifyReport
from .events import (
    Action,
    AuditEvent,
    Scalar,
    StoredEvent,
    check_reference,
    check_user,
    personal_data_reason,
)
from .headfile import head_file_path
from .keys import DEFAULT_KEY_FILE, KEY_BYTES, audit_key_path, load_or_create_key, log_key
from .log import AuditLog, ChainHead
from .opening import open_audit_log
from .text import format_events

__all__ = [
    "DEFAULT_KEY_FILE",
    "GENESIS_HASH",
    "KEY_BYTES",
    "Action",
    "AuditEvent",
    "AuditLog",
    "ChainHead",
    "Scalar",
    "StoredEvent",
    "VerifyReport",
    "audit_key_path",
    "check_reference",
    "check_user",
    "format_events",
    "head_file_path",
    "load_or_create_key",
    "log_key",
    "open_audit_log",
    "personal_data_reason",
]
