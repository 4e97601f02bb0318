"""The hash chain, as pure functions over plain data: no database here.

Each stored event carries ``prev_hash``, the hash of the event before it (64
zeros for the first), and its own ``hash``: HMAC-SHA256, under a sub-key derived
from the audit key (:func:`chain_key`), of a canonical JSON of ``id``, ``at``,
``user``, ``action``, ``criteria_hash``, ``tables``, ``detail``, ``prev_hash``
and, for events written since the log records them, ``os_user`` and the request
``reference`` (when the event has one). Event ids are
consecutive (1, 2, 3 ...) because the log assigns them itself while holding the
append lock. A keyed hash rather than a plain SHA-256 means that someone who
can write to the state database but cannot read the key file cannot edit an
event and recompute the chain after it.
:meth:`AuditLog.verify` (through :func:`verify_chain`) reports

- an **edited** event: its content does not match its hash;
- a **deleted or inserted** event: a gap in the ids, or a ``prev_hash`` that is
  not the hash of the event before;
- a **truncated end**: the log also keeps a *head* record (table ``audit_head``:
  the last event's id and hash, authenticated with the key) written in the same
  transaction as each event. Deleting the last events leaves the head pointing
  past the end of the log, which ``verify`` reports at once; and the next append
  chains on the head (:func:`next_link`), so the gap stays visible afterwards too.

- a **wipe or a cut tail that took the head row along** (or an old copy of the
  head row put back): the head is also kept in a file beside the key file
  (:mod:`.headfile`), which :func:`check_head_file` compares with the rows. The
  file may lag behind the database after a crash; that is not tampering as long
  as the event at its id still has the recorded hash.

Limits: someone holding both the database and the key (and the head file's
folder) can rewrite anything. Copying :attr:`VerifyReport.last_hash` to
another system from time to time makes even that detectable.

A *row* here is a mapping with the columns of the table ``audit_events``:
``id``, ``at`` (ISO text), ``user_name``, ``os_user`` (``None`` or missing in
old rows), ``action``, ``criteria_hash``, ``tables_json``, ``detail_json``,
``prev_hash`` and ``hash``, and ``reference`` when the event has one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .text import describe_report

#: ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64
#: Name of the head record, part of what its MAC covers.
HEAD_NAME = "chain"
#: Name in the head file's MAC, so that a head row's MAC cannot pass for the file's.
HEAD_FILE_NAME = "file"
#: Name of the head-table row saying since which event a head file is kept.
HEAD_FILE_MARKER = "file-kept"

_CHAIN_KEY_LABEL = b"dpo-workbench audit chain v1"


def chain_key(key: bytes) -> bytes:
    """The sub-key of the chain's MACs, derived from the audit key.

    A sub-key keeps the chain's MACs apart from the criteria fingerprints,
    which are keyed with the audit key itself.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> len(k), k == chain_key(b"k" * 32), k == b"k" * 32
    (32, True, False)
    """
    return hmac.new(key, _CHAIN_KEY_LABEL, hashlib.sha256).digest()


def canonical(obj: Any) -> str:
    """The one JSON text of ``obj`` that is hashed and stored: sorted keys, no spaces.

    Examples
    --------
    >>> canonical({"b": 1, "a": "ä"})
    '{"a":"ä","b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def mac(key: bytes, payload: bytes) -> str:
    """HMAC-SHA256 of ``payload`` under ``key`` (the chain key), as 64 hex digits.

    Examples
    --------
    >>> len(mac(chain_key(b"k" * 32), b"payload"))
    64
    """
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def event_payload(row: Mapping[str, Any], tables: Any, detail: Any) -> bytes:
    """What an event's hash covers: ``row``'s fields with ``tables`` and ``detail`` as objects.

    ``os_user`` and ``reference`` are covered when the row has them: events
    written before the log recorded them (``None``) keep the payload they were
    hashed with, and setting or clearing either afterwards changes the payload,
    so it shows as an edit.

    Examples
    --------
    >>> row = {"id": 1, "at": "2025-01-02T00:00:00.000000+00:00", "user_name": "dpo",
    ...        "action": "login", "criteria_hash": None, "prev_hash": GENESIS_HASH}
    >>> event_payload(row, {}, {})[:40]
    b'{"action":"login","at":"2025-01-02T00:00'
    >>> b'"os_user":"svc"' in event_payload(dict(row, os_user="svc"), {}, {})
    True
    """
    fields = {
        "id": row["id"], "at": row["at"], "user": row["user_name"], "action": row["action"],
        "criteria_hash": row["criteria_hash"], "tables": tables, "detail": detail,
        "prev_hash": row["prev_hash"],
    }
    for optional in ("os_user", "reference"):
        if row.get(optional) is not None:
            fields[optional] = row[optional]
    return canonical(fields).encode("utf-8")


def head_payload(last_id: int, last_hash: str, name: str = HEAD_NAME) -> bytes:
    """What the MAC of the head named ``name`` covers.

    Examples
    --------
    >>> head_payload(0, GENESIS_HASH)[:40]
    b'{"head":"chain","last_hash":"00000000000'
    """
    return canonical({"head": name, "last_id": last_id,
                      "last_hash": last_hash}).encode("utf-8")


def make_row(key: bytes, *, event_id: int, at: str, user: str, action: str,
             criteria_hash: str | None, tables: Mapping[str, int],
             detail: Mapping[str, Any], prev_hash: str,
             os_user: str | None = None, reference: str | None = None) -> dict[str, Any]:
    """The stored row of an event, with its ``hash`` under ``key`` (the chain key).

    The row has a ``reference`` only when the event has one.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> row = make_row(k, event_id=1, at="2025-01-02T00:00:00.000000+00:00", user="dpo",
    ...                action="search", criteria_hash=None, tables={"op.contacts": 2},
    ...                detail={}, prev_hash=GENESIS_HASH)
    >>> row["tables_json"], verify_chain(k, [row], Head.sealed(k, 1, row["hash"])).ok
    ('{"op.contacts":2}', True)
    """
    row: dict[str, Any] = {
        "id": event_id, "at": at, "user_name": user, "action": action,
        "criteria_hash": criteria_hash, "tables_json": canonical(tables),
        "detail_json": canonical(detail), "prev_hash": prev_hash, "os_user": os_user,
    }
    if reference is not None:
        row["reference"] = reference
    row["hash"] = mac(key, event_payload(row, tables, detail))
    return row


class ChainHead(NamedTuple):
    """Where the chain ends: the last event's id and hash (:meth:`AuditLog.head`)."""

    last_id: int
    last_hash: str


@dataclass(frozen=True)
class Head:
    """The head record: the last event's id and hash, and whether its MAC holds."""

    last_id: int
    last_hash: str
    valid: bool

    @classmethod
    def from_stored(cls, key: bytes, last_id: int, last_hash: str, stored_mac: str,
                    name: str = HEAD_NAME) -> Head:
        """The head as stored, ``valid`` when ``stored_mac`` is its MAC under ``key``.

        Examples
        --------
        >>> k = chain_key(b"k" * 32)
        >>> Head.from_stored(k, 0, GENESIS_HASH, head_mac(k, 0, GENESIS_HASH)).valid
        True
        >>> Head.from_stored(k, 1, GENESIS_HASH, head_mac(k, 0, GENESIS_HASH)).valid
        False
        """
        expected = head_mac(key, last_id, last_hash, name)
        return cls(last_id, last_hash, hmac.compare_digest(expected, stored_mac))

    @classmethod
    def sealed(cls, key: bytes, last_id: int, last_hash: str, name: str = HEAD_NAME) -> Head:
        """A valid head on event ``last_id`` (as an append writes it).

        Examples
        --------
        >>> Head.sealed(chain_key(b"k" * 32), 3, "ab" * 32).valid
        True
        """
        return cls.from_stored(key, last_id, last_hash,
                               head_mac(key, last_id, last_hash, name), name)


def head_mac(key: bytes, last_id: int, last_hash: str, name: str = HEAD_NAME) -> str:
    """The MAC, under ``key`` (the chain key), of the head ``name`` on event ``last_id``.

    Examples
    --------
    >>> head_mac(chain_key(b"k" * 32), 0, GENESIS_HASH) != head_mac(b"k" * 32, 0, GENESIS_HASH)
    True
    """
    return mac(key, head_payload(last_id, last_hash, name))


def next_link(last_id: int, last_hash: str, *heads: Head | None) -> tuple[int, str]:
    """The id and ``prev_hash`` of the next event.

    ``last_id`` and ``last_hash`` are those of the last stored event (0 and
    :data:`GENESIS_HASH` when there is none); ``heads`` the head record and the
    head file. The furthest valid head at or past the last event wins, so that
    events deleted from the end stay a visible gap.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> next_link(0, GENESIS_HASH, None) == (1, GENESIS_HASH)
    True
    >>> next_link(2, "ab" * 32, Head.sealed(k, 3, "cd" * 32)) == (4, "cd" * 32)
    True
    """
    for head in sorted((h for h in heads if h is not None and h.valid),
                       key=lambda h: h.last_id, reverse=True):
        if head.last_id >= last_id:
            return head.last_id + 1, head.last_hash
    return last_id + 1, last_hash


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :meth:`AuditLog.verify`.

    ``problems`` holds one sentence per problem, naming the event id and what
    happened to it; ``last_id`` / ``last_hash`` are the end of the chain, worth
    copying elsewhere to detect a rewrite of the whole log.
    """

    checked: int
    problems: list[str]
    last_id: int
    last_hash: str

    @property
    def ok(self) -> bool:
        """True when the log is intact."""
        return not self.problems

    def describe(self) -> str:
        """The report in words, one problem a line.

        Examples
        --------
        >>> VerifyReport(3, [], 3, "ab" * 32).describe()
        'Audit log intact: 3 events checked; last event 3, hash abababababab.'
        """
        return describe_report(self)


def _span(first: int, last: int) -> str:
    """``event N is`` or ``events N to M are``, to start a sentence about missing events."""
    return f"event {first} is" if first == last else f"events {first} to {last} are"


def _event_problem(key: bytes, r: Mapping[str, Any]) -> str | None:
    """Why row ``r`` was edited, or ``None`` when its hash matches its content."""
    try:
        tables, detail = json.loads(r["tables_json"]), json.loads(r["detail_json"])
        expected = mac(key, event_payload(r, tables, detail))
    except (TypeError, ValueError):
        return f"event {r['id']}: its tables or detail are not valid JSON: it was edited."
    if not hmac.compare_digest(expected, str(r["hash"])):
        return f"event {r['id']}: its content does not match its hash: it was edited."
    return None


def check_events(key: bytes, rows: Iterable[Mapping[str, Any]]) -> VerifyReport:
    """Check ``rows`` (in id order) against ``key`` (the chain key), without the head record.

    Finds edited events, gaps in the ids and ``prev_hash`` values that are not
    the hash of the event before; the report ends at the last row.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> row = make_row(k, event_id=2, at="2025-01-02T00:00:00.000000+00:00", user="dpo",
    ...                action="login", criteria_hash=None, tables={}, detail={},
    ...                prev_hash=GENESIS_HASH)
    >>> check_events(k, [row]).problems
    ['Event 1 is missing: deleted from the log.']
    """
    problems: list[str] = []
    checked, last_id, last_hash = 0, 0, GENESIS_HASH
    for r in rows:
        checked += 1
        if r["id"] <= last_id:
            problems.append(f"event {r['id']}: its id is before the start of the log: "
                            "it was inserted.")
        elif r["id"] > last_id + 1:
            problems.append(f"{_span(last_id + 1, r['id'] - 1).capitalize()} missing: "
                            "deleted from the log.")
        elif r["prev_hash"] != last_hash:
            before = f"event {last_id}" if last_id else "the start of the log"
            problems.append(f"event {r['id']}: its prev_hash is not the hash of {before}: "
                            "an event was deleted, inserted or replaced there.")
        problem = _event_problem(key, r)
        if problem:
            problems.append(problem)
        last_id, last_hash = max(last_id, r["id"]), str(r["hash"])
    return VerifyReport(checked=checked, problems=problems, last_id=last_id,
                        last_hash=last_hash)


def check_head(head: Head | None, events: VerifyReport) -> list[str]:
    """Problems of the head record against the end of the chain that ``events`` reached.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> check_head(Head.sealed(k, 2, "ab" * 32), VerifyReport(1, [], 1, "ab" * 32))
    ['Event 2 is missing: the end of the log was deleted.']
    >>> check_head(None, VerifyReport(0, [], 0, GENESIS_HASH))
    []
    """
    last_id, last_hash = events.last_id, events.last_hash
    if head is None:
        if events.checked == 0:
            return []
        return ["the head record (id and hash of the last event) is missing: it was "
                "deleted, so events at the end of the log may have been deleted too."]
    if not head.valid:
        return ["the head record (id and hash of the last event) was edited: events at "
                "the end of the log may have been deleted."]
    if head.last_id > last_id:
        return [f"{_span(last_id + 1, head.last_id).capitalize()} missing: the end of the "
                "log was deleted."]
    if head.last_id < last_id:
        return [f"{_span(head.last_id + 1, last_id).capitalize()} not recorded in the "
                "head record: written outside the workbench, or the head was replaced "
                "by an older copy."]
    if head.last_hash != last_hash:
        return [f"event {last_id}: its hash is not the one in the head record: it was "
                "replaced."]
    return []


@dataclass(frozen=True)
class HeadFile:
    """What :func:`verify_chain` knows of the head file (:mod:`.headfile`).

    ``where`` names it in messages; ``head`` is ``None`` when the file is
    missing; ``kept`` says that the state database records keeping one.
    """

    where: str
    head: Head | None
    kept: bool


def check_head_file(head_file: HeadFile, events: VerifyReport, head: Head | None,
                    hash_at: str | None) -> list[str]:
    """Problems of the head file against the chain ``events`` reached.

    ``head`` is the head record (a cut tail it names is reported by
    :func:`check_head` already); ``hash_at`` the hash of the stored event at
    the file's id, ``None`` when there is none. A file behind the last event
    (it lags after a crash) is fine when ``hash_at`` matches it.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> wiped = VerifyReport(0, [], 0, GENESIS_HASH)
    >>> check_head_file(HeadFile("h", Head.sealed(k, 3, "ab" * 32, HEAD_FILE_NAME), True),
    ...                 wiped, None, None)  # doctest: +NORMALIZE_WHITESPACE
    ['Events 1 to 3 are missing: the head file h records event 3 as written, so the end of
      the log was deleted.']
    >>> check_head_file(HeadFile("h", Head.sealed(k, 1, "ab" * 32, HEAD_FILE_NAME), True),
    ...                 VerifyReport(2, [], 2, "cd" * 32), None, "ab" * 32)
    []
    """
    f, where = head_file.head, head_file.where
    if f is None:
        if not head_file.kept:
            return []
        return [f"the head file {where} is missing: it was deleted, so events at the end of "
                "the log may have been deleted too. Restore it from the backup."]
    if not f.valid:
        return [f"the head file {where} was edited or is damaged: events at the end of the log "
                "may have been deleted. Restore it from the backup."]
    if f.last_id > events.last_id:
        if head is not None and head.valid and head.last_id >= f.last_id:
            return []  # check_head names the same missing events
        return [f"{_span(events.last_id + 1, f.last_id).capitalize()} missing: the head file "
                f"{where} records event {f.last_id} as written, so the end of the log was "
                "deleted."]
    if f.last_id > 0 and hash_at is not None and not hmac.compare_digest(hash_at, f.last_hash):
        return [f"event {f.last_id}: its hash is not the one in the head file {where}: it was "
                "replaced."]
    return []


def verify_chain(key: bytes, rows: Iterable[Mapping[str, Any]], head: Head | None,
                 head_file: HeadFile | None = None) -> VerifyReport:
    """Check ``rows`` (in id order), the ``head`` record and the ``head_file`` under ``key``.

    ``key`` is the chain key; without ``head_file`` (a log that keeps none)
    only the database is checked.

    Examples
    --------
    >>> k = chain_key(b"k" * 32)
    >>> verify_chain(k, [], None).describe()
    'Audit log intact: 0 events checked; last event 0, hash 000000000000.'
    """
    watch = head_file.head.last_id if head_file and head_file.head else None
    seen: dict[str, str] = {}

    def watched(rows: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
        # The hash at the head file's id, noted as the rows stream past (read once).
        for r in rows:
            if r["id"] == watch and "hash" not in seen:
                seen["hash"] = str(r["hash"])
            yield r

    events = check_events(key, watched(rows))
    problems = events.problems + check_head(head, events)
    if head_file is not None:
        problems += check_head_file(head_file, events, head, seen.get("hash"))
    return VerifyReport(checked=events.checked, problems=problems, last_id=events.last_id,
                        last_hash=events.last_hash)
