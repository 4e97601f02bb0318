"""The worked example of docs/datamap.md as a real installation: build it, search it.

A small contact centre shaped nothing like the demo: SQLite files whose time columns
are TEXT or epoch milliseconds, a call log with two phone columns, a nightly mirror
of it in another database, a CRM with a customer's second number, stored spellings
with stray whitespace, ``mailto:`` and letter case, and a recordings store::

    python docs/examples/small_centre.py /tmp/small-centre          # build it
    dpo-workbench check  --config /tmp/small-centre/workbench.yaml
    dpo-workbench search --config /tmp/small-centre/workbench.yaml \
        --phone '+358 50 555 0199' --start 2024-04-01 --end 2024-04-30 --hints

The data subject is Maija Korhonen (+358 50 555 0199, maija.korhonen@example.fi);
a decoy, Matti Nieminen, shares six of her last seven digits. The datamap below is
the one docs/datamap.md shows (a test keeps them equal).
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

DATAMAP = """\
version: 1
tables:
  calls:                          # the call log
    database: pbx
    table: call_log
    group: contacts
    key: call_uuid                # a TEXT primary key is fine
    time: {column: started_ms, format: epoch_millis}
    match:
      phone: [caller, callee]     # two phone columns: either may be the person's
    identifying: [caller_name]
    show: [started_ms, direction, caller, callee]
    files:
      recording: {store: recordings, kind: audio}
    erase:
      row: anonymize
      columns: {caller: redact, callee: redact, caller_name: redact, recording: clear}
  calls_mirror:                   # the mirror: found by key with its original
    database: mirror
    table: call_log_copy
    group: contacts
    copy_of: calls
    key: call_uuid
    time: {column: started_ms, format: epoch_millis}
    match: {phone: [caller, callee]}
    identifying: [caller_name]
    show: [started_ms, direction, caller, callee]
    erase:
      row: anonymize
      columns: {caller: redact, callee: redact, caller_name: redact}
  customers:
    database: crm
    table: customer
    group: directory_entries
    key: customer_no
    match:
      phone: [mobile, landline]
      email: [mail]
      name: {first: given_name, last: family_name}
    show: [given_name, family_name, mobile, mail]
    erase: {row: delete}
  marketing_optins:
    database: crm
    table: optin
    group: consents
    key: optin_id
    time: given_at                # TEXT holding ISO 8601 ("2024-04-30 10:00:00")
    match: {phone: msisdn}
    show: [given_at, channel, yes_no]
    erase: {row: delete}
"""

SETTINGS = """\
name: Small contact centre (worked example)
datamap: datamap.yaml
databases:
  pbx: sqlite:///pbx.sqlite
  mirror: sqlite:///mirror.sqlite
  crm: sqlite:///crm.sqlite
files:
  recordings: files/recordings
state: sqlite:///state/workbench.sqlite
"""


def _ms(text: str) -> int:
    """Epoch milliseconds of a UTC time written ``YYYY-MM-DD HH:MM:SS``."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
               .timestamp() * 1000)


#: (uuid, started (UTC), direction, caller, callee, caller_name, recording file)
CALLS = [
    ("c-0001", "2024-03-31 23:59:59", "in", "050 555 0199\n", "+358 9 4242 100", "Maija K.",
     "c-0001.wav"),                                                  # a day before the span
    ("c-0002", "2024-04-01 00:00:00", "in", "+358 (0)50-555 0199", "+358 9 4242 100",
     "Maija Korhonen", "c-0002.wav"),                                # the span's first instant
    ("c-0003", "2024-04-17 09:30:00", "out", "+358 9 4242 100", "00358505550199", None,
     "c-0003.wav"),                                                  # she is the callee
    ("c-0004", "2024-04-30 23:59:59", "in", "\u00a0+358505550199", "+358 9 4242 100", None,
     None),                                                          # the span's last second
    ("c-0005", "2024-05-01 00:00:00", "in", "+358 50 555 0199", "+358 9 4242 100", None,
     "c-0005.wav"),                                                  # a day after the span
    ("c-0006", "2024-04-17 10:00:00", "in", "+358 50 555 0198", "+358 9 4242 100",
     "Matti Nieminen", "c-0006.wav"),                                # the decoy
]
#: Mirrored rows of the call log (the nightly copy has reached April 17).
MIRRORED = ("c-0001", "c-0002", "c-0003", "c-0006")
#: (customer_no, given, family, mobile, landline, mail)
CUSTOMERS = [
    (1, "Maija", "Korhonen", "+358 50 555 0199", "09 8765 432",
     "mailto:Maija.Korhonen@Example.FI "),
    (2, "Matti", "Nieminen", "+358 50 555 0198", None, "matti.nieminen@example.fi"),
]
#: (optin_id, given_at TEXT, channel, yes_no, msisdn)
OPTINS = [
    (1, "2024-04-30 10:00:00", "sms", 1, "358505550199"),
    (2, "2024-03-02T08:00:00", "phone", 0, "358505550199"),           # before the span
    (3, "2024-04-05 12:00:00.250", "sms", 1, "358505550198"),         # the decoy
]


def build(folder: Path) -> Path:
    """Write the installation into ``folder`` (which must not hold one); return its settings."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "workbench.yaml").exists():
        raise SystemExit(f"{folder} holds an installation already")
    (folder / "datamap.yaml").write_text(DATAMAP, encoding="utf-8")
    (folder / "workbench.yaml").write_text(SETTINGS, encoding="utf-8")
    store = folder / "files" / "recordings"
    store.mkdir(parents=True)
    calls = "(call_uuid TEXT PRIMARY KEY, started_ms INTEGER, direction TEXT, caller TEXT, " \
            "callee TEXT, caller_name TEXT, recording TEXT)"
    with sqlite3.connect(folder / "pbx.sqlite") as db:
        db.execute(f"CREATE TABLE call_log {calls}")
        db.executemany("INSERT INTO call_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(u, _ms(t), d, a, b, n, r) for u, t, d, a, b, n, r in CALLS])
    with sqlite3.connect(folder / "mirror.sqlite") as db:
        db.execute(f"CREATE TABLE call_log_copy {calls}")
        db.executemany("INSERT INTO call_log_copy VALUES (?, ?, ?, ?, ?, ?, NULL)",
                       [(u, _ms(t), d, a, b, n) for u, t, d, a, b, n, _ in CALLS
                        if u in MIRRORED])
    with sqlite3.connect(folder / "crm.sqlite") as db:
        db.execute("CREATE TABLE customer (customer_no INTEGER PRIMARY KEY, given_name TEXT, "
                   "family_name TEXT, mobile TEXT, landline TEXT, mail TEXT)")
        db.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?)", CUSTOMERS)
        db.execute("CREATE TABLE optin (optin_id INTEGER PRIMARY KEY, given_at TEXT, "
                   "channel TEXT, yes_no INTEGER, msisdn TEXT)")
        db.executemany("INSERT INTO optin VALUES (?, ?, ?, ?, ?)", OPTINS)
    for *_, recording in CALLS:
        if recording:
            (store / recording).write_bytes(b"RIFF" + recording.encode() + bytes(64))
    return folder / "workbench.yaml"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python docs/examples/small_centre.py FOLDER")
    print(f"settings file: {build(Path(sys.argv[1]))}")
