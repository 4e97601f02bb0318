"""A small, fixed installation for tests that need exact expected output.

:func:`build_fixed_install` writes the five SQLite databases of the demo schema
(:mod:`dpo_workbench.demo.schema`), three file stores, ``workbench.yaml`` and a copy
of the demo datamap into a folder. Every row and every file byte is written here by
hand, so reports, erasure receipts and dashboards built from it can be compared
with exact expected text. Tests of several modules share it: change a row only
together with the expected texts that depend on it.

The data subject is **Eeva Mäkelä**, phone ``+358 40 765 4321`` (:data:`PHONE`),
e-mail ``eeva.makela@example.fi`` (:data:`EMAIL`). A search for both finds:

===============================  ====================================================
group                            items (search order)
===============================  ====================================================
Contacts                         ``operative.contact_events#102`` (e-mail, 2025-03-02,
                                 body starts with ``=SUM(A1)`` and holds a
                                 ``<script>`` tag, one attachment file),
                                 ``operative.contact_events#101`` (call, 2025-03-01,
                                 a real 0.1 s WAV recording, a note starting with
                                 ``@``, call data; copied in ``monitoring1``)
Directory Entries                ``directory.directory_entries#11`` (with a PNG photo)
Outbound Campaign Customers      ``outbound.campaign_customers#21`` (campaign "Spring
                                 offers 2025", active; two customer fields; one
                                 outbound call whose recording file is *missing* from
                                 its store on purpose)
Customer Consents                ``operative.customer_consents#502`` (marketing, 0),
                                 ``operative.customer_consents#501`` (recording, 1)
===============================  ====================================================

A phone-only search finds the same except contact event 102. Another person,
**Olli Virtanen** (:data:`OTHER_PHONE`), has one contact event,
``operative.contact_events#103``, which no search for Eeva finds. The
configuration database holds one agent (user 1, "Anna Agent") and one queue
(1, "Customer Service").
"""

from __future__ import annotations

import math
import shutil
import struct
import textwrap
import wave
import zlib
from datetime import datetime
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine

from dpo_workbench.demo.schema import DATABASES, metadata_for

PHONE = "+358 40 765 4321"
EMAIL = "eeva.makela@example.fi"
OTHER_PHONE = "+358 50 111 2222"
NAME = "Fixed test installation"

#: Relative paths in the file stores, by store.
RECORDING = "2025/03/101.wav"
ATTACHMENT = "2025/03/201.txt"
PHOTO = "11.png"
MISSING_RECORDING = "2025/03/out-41.wav"  # named by outbound call 41, never written

ATTACHMENT_TEXT = "Invoice 3/2025\nTotal 12,50 €\n"


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def wav_file() -> bytes:
    """0.1 s of a 440 Hz tone, 8 kHz mono 16-bit PCM: 1,644 bytes, the same on every run."""
    frames = b"".join(struct.pack("<h", round(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                      for i in range(800))
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(frames)
    return buf.getvalue()


def png_file() -> bytes:
    """A 2 x 2 pixel RGB PNG, the same on every run."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"\x00\xff\x00\x00\x00\xff\x00" + b"\x00\x00\x00\xff\xff\xff\xff"
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def rows() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every row of the installation: database -> table -> rows."""
    call = dict(
        id=101, channel="call", direction="in", queue_id=1, agent_id=1,
        started_at=_dt("2025-03-01 14:05:09"), ended_at=_dt("2025-03-01 14:09:30"),
        wait_seconds=12, handling_seconds=261, outcome="handled", remote_number=PHONE,
        remote_address=None, remote_name="Eeva Mäkelä", subject=None)
    return {
        "configuration": {
            "users": [dict(id=1, username="agent.anna", display_name="Anna Agent",
                           email="anna.agent@centre.example", password_hash="not-a-hash",
                           active=True, created_at=_dt("2024-01-01 08:00:00"))],
            "queues": [dict(id=1, name="Customer Service", channel="call",
                            phone_number="+358 9 000 1000")],
        },
        "operative": {
            "contact_events": [
                {**call, "body": None, "recording_file": RECORDING},
                dict(id=102, channel="email", direction="in", queue_id=1, agent_id=1,
                     started_at=_dt("2025-03-02 09:30:00"), ended_at=None, wait_seconds=None,
                     handling_seconds=300, outcome="answered", remote_number=None,
                     remote_address="Eeva.Makela@example.fi", remote_name="Eeva Mäkelä",
                     subject="Invoice question",
                     body="=SUM(A1) is what the invoice says.\n"
                          "Is that right? <script>alert(1)</script>\nEeva",
                     recording_file=None),
                dict(id=103, channel="call", direction="in", queue_id=1, agent_id=1,
                     started_at=_dt("2025-03-01 15:00:00"), ended_at=_dt("2025-03-01 15:01:00"),
                     wait_seconds=5, handling_seconds=55, outcome="handled",
                     remote_number=OTHER_PHONE, remote_address=None,
                     remote_name="Olli Virtanen", subject=None, body=None,
                     recording_file=None),
            ],
            "email_attachments": [dict(id=201, contact_id=102, file_name="lasku maaliskuu.txt",
                                       content_type="text/plain",
                                       size_bytes=len(ATTACHMENT_TEXT.encode("utf-8")),
                                       storage_path=ATTACHMENT)],
            "contact_notes": [dict(id=301, contact_id=101, author_id=1,
                                   created_at=_dt("2025-03-01 14:10:00"),
                                   note_text="@callback tomorrow about the invoice")],
            "call_data": [dict(id=401, contact_id=101, data_key="customer_no",
                               data_value="C-1001")],
            "customer_consents": [
                dict(id=501, phone_number=PHONE, consent_type="recording",
                     given_at=_dt("2025-03-01 14:05:20"), consent_value=1, contact_id=101),
                dict(id=502, phone_number=PHONE, consent_type="marketing",
                     given_at=_dt("2025-03-01 14:05:40"), consent_value=0, contact_id=101),
            ],
        },
        "monitoring1": {"contact_events": [call]},
        "directory": {
            "directory_entries": [dict(
                id=11, first_name="Eeva", last_name="Mäkelä", display_name="Mäkelä Eeva",
                title="Buyer", department="Purchasing", company="Firma Oy",
                phone_work=None, phone_mobile="040 765 4321", phone_home=None,
                email_work=EMAIL, email_private=None, street="Kauppakatu 1",
                postal_code="00100", city="Helsinki", country="FI", notes=None,
                photo_file=PHOTO, updated_at=_dt("2025-01-10 08:00:00"))],
        },
        "outbound": {
            "campaigns": [dict(id=1, name="Spring offers 2025", status="active",
                               created_at=_dt("2025-02-01 09:00:00"))],
            "campaign_customers": [dict(
                id=21, campaign_id=1, first_name="Eeva", last_name="Mäkelä",
                phone1="0407654321", phone2=None, email=None, language="fi",
                customer_status="called", imported_at=_dt("2025-02-15 10:00:00"),
                last_called_at=_dt("2025-03-03 11:00:00"))],
            "customer_fields": [
                dict(id=31, customer_id=21, field_name="contract_no", field_value="K-778"),
                dict(id=32, customer_id=21, field_name="interest", field_value="broadband"),
            ],
            "outbound_calls": [dict(id=41, customer_id=21, agent_id=1,
                                    started_at=_dt("2025-03-03 11:00:00"),
                                    dialled_number="0407654321", call_result="answered",
                                    talk_seconds=95, recording_file=MISSING_RECORDING)],
        },
    }


def _write_database(path: Path, metadata: MetaData,
                    tables: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            for name, table_rows in tables.items():
                conn.execute(metadata.tables[name].insert(), table_rows)
    finally:
        engine.dispose()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def build_fixed_install(folder: Path) -> Path:
    """Write the fixed installation into ``folder``; return its settings file.

    Examples
    --------
    >>> import tempfile, dpo_workbench as dw
    >>> settings = build_fixed_install(Path(tempfile.mkdtemp()))
    >>> with dw.open_workbench(settings) as wb:
    ...     wb.search(phone=PHONE, email=EMAIL).counts()
    {'contacts': 2, 'directory_entries': 1, 'campaign_customers': 1, 'consents': 2}
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = rows()
    for db in DATABASES:
        _write_database(folder / f"{db}.sqlite", metadata_for(db), data.get(db, {}))
    _write(folder / "files" / "recordings" / RECORDING, wav_file())
    _write(folder / "files" / "attachments" / ATTACHMENT, ATTACHMENT_TEXT.encode("utf-8"))
    _write(folder / "files" / "photos" / PHOTO, png_file())
    (folder / "state").mkdir(exist_ok=True)
    shutil.copyfile(str(package_files("dpo_workbench.demo") / "datamap.yaml"),
                    folder / "datamap.yaml")
    settings = folder / "workbench.yaml"
    settings.write_text(textwrap.dedent(f"""\
        name: {NAME}
        datamap: datamap.yaml
        databases:
          configuration: sqlite:///configuration.sqlite
          directory: sqlite:///directory.sqlite
          operative: sqlite:///operative.sqlite
          outbound: sqlite:///outbound.sqlite
          monitoring1: sqlite:///monitoring1.sqlite
        files:
          recordings: files/recordings
          attachments: files/attachments
          photos: files/photos
        state: sqlite:///state/workbench.sqlite
        """), encoding="utf-8")
    return settings
