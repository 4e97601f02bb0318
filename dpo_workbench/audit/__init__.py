"""The audit log: who did what, when, on which tables and how many rows.

The package is being split by concern: the events are in :mod:`.events`, the key
file in :mod:`.keys`, the hash chain in :mod:`.chain`, the texts in :mod:`.text`,
the rest in :mod:`.log` for now.
"""

from __future__ import annotations

from .chain import GENESIS_HASH, VerifyReport
from .events import Action, AuditEvent, Scalar, StoredEvent, personal_data_reason
from .keys import DEFAULT_KEY_FILE, KEY_BYTES, audit_key_path, load_or_create_key
from .log import AuditLog, open_audit_log
from .text import format_events

__all__ = [
    "DEFAULT_KEY_FILE",
    "GENESIS_HASH",
    "KEY_BYTES",
    "Action",
    "AuditEvent",
    "AuditLog",
    "Scalar",
    "StoredEvent",
    "VerifyReport",
    "audit_key_path",
    "format_events",
    "load_or_create_key",
    "open_audit_log",
    "personal_data_reason",
]
