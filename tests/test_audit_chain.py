"""The audit hash chain's checks as pure functions: plain rows in, problems out, no database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dpo_workbench.audit.chain import (
    GENESIS_HASH,
    Head,
    chain_key,
    check_events,
    check_head,
    head_mac,
    make_row,
    next_link,
    verify_chain,
)

KEY = chain_key(bytes(range(32)))

Row = dict[str, Any]


def _row(event_id: int, prev_hash: str, *, user: str = "dpo", key: bytes = KEY) -> Row:
    """One stored row as the log writes it, chained on ``prev_hash``."""
    return make_row(key, event_id=event_id, at=f"2025-03-0{event_id}T10:00:00.000000+00:00",
                    user=user, action="search", criteria_hash=None,
                    tables={"operative.contacts": event_id}, detail={"items": event_id},
                    prev_hash=prev_hash)


def _chain(n: int = 3) -> list[Row]:
    """An intact chain of ``n`` events."""
    rows: list[Row] = []
    for event_id in range(1, n + 1):
        rows.append(_row(event_id, rows[-1]["hash"] if rows else GENESIS_HASH))
    return rows


def _head_on(rows: list[Row], index: int = -1) -> Head:
    """A valid head record on ``rows[index]``."""
    return Head.sealed(KEY, rows[index]["id"], rows[index]["hash"])


def _edited(rows: list[Row], index: int, **changes: Any) -> list[Row]:
    """``rows`` with some columns of ``rows[index]`` changed and its hash left as it was."""
    return [dict(r, **changes) if i == index else r for i, r in enumerate(rows)]


Tamper = Callable[[list[Row]], tuple[list[Row], Head | None]]

CASES: list[tuple[str, Tamper, list[str]]] = [
    # Nothing touched: the head points at the last event.
    ("intact", lambda rows: (rows, _head_on(rows)), []),
    # An empty log without a head is a log nobody has written to yet.
    ("empty", lambda rows: ([], None), []),
    # A changed row count with the old hash: the MAC no longer covers the content.
    ("edited tables", lambda rows: (_edited(rows, 1, tables_json='{"operative.contacts":0}'),
                                    _head_on(rows)),
     ["event 2: its content does not match its hash: it was edited."]),
    # A detail that is not JSON any more: reported as an edit, not a crash.
    ("broken detail", lambda rows: (_edited(rows, 1, detail_json="{"), _head_on(rows)),
     ["event 2: its tables or detail are not valid JSON: it was edited."]),
    # A row in the middle deleted: the gap in the ids names it.
    ("gap", lambda rows: ([rows[0], *rows[2:]], _head_on(rows)),
     ["Event 2 is missing: deleted from the log."]),
    # Two rows in the middle deleted: the gap names both.
    ("wider gap", lambda rows: ([rows[0], rows[3]], _head_on(rows)),
     ["Events 2 to 3 are missing: deleted from the log."]),
    # Event 1 replaced by another correctly hashed event: event 2 no longer chains on it.
    ("wrong prev_hash", lambda rows: ([_row(1, GENESIS_HASH, user="ann"), *rows[1:]],
                                      _head_on(rows)),
     ["event 2: its prev_hash is not the hash of event 1: an event was deleted, inserted or "
      "replaced there."]),
    # A first event that does not start from the genesis hash: something before it went.
    ("wrong first prev_hash", lambda rows: ([_row(1, "ab" * 32)],
                                            _head_on([_row(1, "ab" * 32)])),
     ["event 1: its prev_hash is not the hash of the start of the log: an event was deleted, "
      "inserted or replaced there."]),
    # A row with an id already seen: inserted behind the chain's back.
    ("repeated id", lambda rows: ([rows[0], rows[1], rows[1]], _head_on(rows, 1)),
     ["event 2: its id is before the start of the log: it was inserted."]),
    # Rows written under another key: every hash fails, the ids and links still hold.
    ("other key", lambda rows: ([_row(1, GENESIS_HASH, key=b"x" * 32)], None),
     ["event 1: its content does not match its hash: it was edited.",
      "the head record (id and hash of the last event) is missing: it was deleted, so events "
      "at the end of the log may have been deleted too."]),
    # The last event deleted: the head still points at it.
    ("head past the end", lambda rows: (rows[:-1], _head_on(rows)),
     ["Event 4 is missing: the end of the log was deleted."]),
    # The last two events deleted: the head names both.
    ("head far past the end", lambda rows: (rows[:2], _head_on(rows)),
     ["Events 3 to 4 are missing: the end of the log was deleted."]),
    # An old copy of the head put back: the events after it are not in it.
    ("head behind the end", lambda rows: (rows, _head_on(rows, 2)),
     ["Event 4 is not recorded in the head record: written outside the workbench, or the "
      "head was replaced by an older copy."]),
    # The head's id and hash changed without the key: its MAC fails.
    ("head edited", lambda rows: (rows, Head(2, rows[1]["hash"], valid=False)),
     ["the head record (id and hash of the last event) was edited: events at the end of the "
      "log may have been deleted."]),
    # The head deleted from a log with events.
    ("head missing", lambda rows: (rows, None),
     ["the head record (id and hash of the last event) is missing: it was deleted, so events "
      "at the end of the log may have been deleted too."]),
    # The last event replaced by a correctly hashed one: the head's hash differs.
    ("last event replaced", lambda rows: ([*rows[:-1], _row(4, rows[2]["hash"], user="ann")],
                                          _head_on(rows)),
     ["event 4: its hash is not the one in the head record: it was replaced."]),
]


@pytest.mark.parametrize(("tamper", "expected"), [(t, e) for _, t, e in CASES],
                         ids=[name for name, _, _ in CASES])
def test_verify_chain(tamper: Tamper, expected: list[str]) -> None:
    rows, head = tamper(_chain(4))
    report = verify_chain(KEY, rows, head)
    assert report.problems == expected
    assert report.ok == (not expected)
    assert report.checked == len(rows)


def test_intact_chain_ends_at_its_last_event() -> None:
    rows = _chain(3)
    events = check_events(KEY, iter(rows))  # any iterable, read once
    assert (events.checked, events.last_id, events.last_hash) == (3, 3, rows[-1]["hash"])
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert check_head(_head_on(rows), events) == []


def test_head_mac_covers_id_and_hash() -> None:
    rows = _chain(2)
    stored_mac = head_mac(KEY, 2, rows[1]["hash"])
    assert Head.from_stored(KEY, 2, rows[1]["hash"], stored_mac).valid
    # Moved back to event 1 with its MAC kept: the MAC no longer matches.
    assert not Head.from_stored(KEY, 1, rows[0]["hash"], stored_mac).valid
    # Checked under another key: no match either.
    assert not Head.from_stored(chain_key(b"x" * 32), 2, rows[1]["hash"], stored_mac).valid


@pytest.mark.parametrize(("last", "head", "expected"), [
    # An empty log starts at 1 on the genesis hash.
    ((0, GENESIS_HASH), None, (1, GENESIS_HASH)),
    # The usual case: the head is on the last event.
    ((2, "ab" * 32), Head.sealed(KEY, 2, "ab" * 32), (3, "ab" * 32)),
    # The end was deleted: chain on the head, so the gap stays visible.
    ((2, "ab" * 32), Head.sealed(KEY, 3, "cd" * 32), (4, "cd" * 32)),
    # An edited head is not trusted: chain on the last event.
    ((2, "ab" * 32), Head(3, "cd" * 32, valid=False), (3, "ab" * 32)),
    # A head behind the last event (an old copy): chain on the last event.
    ((3, "ef" * 32), Head.sealed(KEY, 2, "ab" * 32), (4, "ef" * 32)),
])
def test_next_link(last: tuple[int, str], head: Head | None, expected: tuple[int, str]) -> None:
    assert next_link(*last, head) == expected
