"""The schema of the demo installation: five databases of a contact centre.

The demo models the databases a contact-centre product keeps: *configuration*
(users, their rights, queues), *directory* (the company directory), *operative*
(contact events on every channel, their details, customer consents), *outbound*
(campaigns, campaign customers and their calls) and *monitoring1* (a monitoring
database that keeps copies of contact events for reporting).

Types are portable (SQLite, PostgreSQL, MariaDB). Text that a query matches or an
index covers is ``String(n)``; free text is ``Text``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

#: The logical databases of the demo, in the order they are built.
DATABASES: tuple[str, ...] = ("configuration", "directory", "operative", "outbound", "monitoring1")


def _pk() -> Column:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                  autoincrement=False)


def _ref(name: str) -> Column:
    return Column(name, BigInteger().with_variant(Integer, "sqlite"), nullable=True)


def configuration_metadata() -> MetaData:
    md = MetaData()
    Table(
        "users", md, _pk(),
        Column("username", String(64), nullable=False, unique=True),
        Column("display_name", String(128)),
        Column("email", String(254)),
        Column("password_hash", String(255), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", DateTime),
    )
    Table(
        "user_rights", md, _pk(),
        _ref("user_id"),
        Column("module", String(64), nullable=False),  # e.g. "DPO", "Reporting"
        Column("permission", String(32), nullable=False),  # e.g. "Use", "Admin"
    )
    Table(
        "queues", md, _pk(),
        Column("name", String(128), nullable=False),
        Column("channel", String(16), nullable=False),
        Column("phone_number", String(32)),  # the centre's own service number, not personal data
    )
    return md


def directory_metadata() -> MetaData:
    md = MetaData()
    t = Table(
        "directory_entries", md, _pk(),
        Column("first_name", String(100)),
        Column("last_name", String(100)),
        Column("display_name", String(200)),
        Column("title", String(100)),
        Column("department", String(100)),
        Column("company", String(200)),
        Column("phone_work", String(40)),
        Column("phone_mobile", String(40)),
        Column("phone_home", String(40)),
        Column("email_work", String(254)),
        Column("email_private", String(254)),
        Column("street", String(200)),
        Column("postal_code", String(20)),
        Column("city", String(100)),
        Column("country", String(2)),
        Column("notes", Text),
        Column("photo_file", String(255)),
        Column("updated_at", DateTime),
    )
    Index("ix_directory_entries_department", t.c.department)
    return md


def _contact_event_columns() -> list[Column]:
    """Columns shared by a contact event and its monitoring copy."""
    return [
        _pk(),
        Column("channel", String(16), nullable=False),  # call voicemail email chat sms messenger
        Column("direction", String(8), nullable=False),  # in out internal
        _ref("queue_id"),
        _ref("agent_id"),
        Column("started_at", DateTime, nullable=False),
        Column("ended_at", DateTime),
        Column("wait_seconds", Integer),
        Column("handling_seconds", Integer),
        Column("outcome", String(32)),
        Column("remote_number", String(40)),  # caller / SMS sender number, as the switch saw it
        Column("remote_address", String(254)),  # e-mail sender or chat visitor's address
        Column("remote_name", String(200)),  # display name (e-mail From name, chat nickname)
        Column("subject", String(500)),
    ]


def operative_metadata() -> MetaData:
    md = MetaData()
    ce = Table(
        "contact_events", md, *_contact_event_columns(),
        Column("body", Text),  # e-mail body text
        Column("recording_file", String(255)),  # relative to the recordings store
    )
    Index("ix_contact_events_started_at", ce.c.started_at)
    att = Table(
        "email_attachments", md, _pk(),
        _ref("contact_id"),
        Column("file_name", String(255), nullable=False),
        Column("content_type", String(100)),
        Column("size_bytes", BigInteger().with_variant(Integer, "sqlite")),
        Column("storage_path", String(255)),  # relative to the attachments store
    )
    Index("ix_email_attachments_contact_id", att.c.contact_id)
    tr = Table(
        "transcript_messages", md, _pk(),
        _ref("contact_id"),
        Column("seq", Integer, nullable=False),
        Column("sent_at", DateTime),
        Column("sender", String(16)),  # customer agent system
        Column("sender_name", String(200)),
        Column("message", Text),
    )
    Index("ix_transcript_messages_contact_id", tr.c.contact_id)
    notes = Table(
        "contact_notes", md, _pk(),
        _ref("contact_id"),
        _ref("author_id"),
        Column("created_at", DateTime),
        Column("note_text", Text),
    )
    Index("ix_contact_notes_contact_id", notes.c.contact_id)
    cd = Table(
        "call_data", md, _pk(),
        _ref("contact_id"),
        Column("data_key", String(64), nullable=False),
        Column("data_value", String(1000)),
    )
    Index("ix_call_data_contact_id", cd.c.contact_id)
    sa = Table(
        "script_answers", md, _pk(),
        _ref("contact_id"),
        Column("question", String(200)),
        Column("answer_text", Text),
    )
    Index("ix_script_answers_contact_id", sa.c.contact_id)
    cons = Table(
        "customer_consents", md, _pk(),
        Column("phone_number", String(40), nullable=False),
        Column("consent_type", String(32), nullable=False),  # recording marketing survey
        Column("given_at", DateTime, nullable=False),
        Column("consent_value", SmallInteger, nullable=False),  # 1 given, 0 refused
        _ref("contact_id"),
    )
    Index("ix_customer_consents_given_at", cons.c.given_at)
    return md


def outbound_metadata() -> MetaData:
    md = MetaData()
    Table(
        "campaigns", md, _pk(),
        Column("name", String(200), nullable=False),
        Column("status", String(16), nullable=False),  # active paused closed
        Column("created_at", DateTime),
    )
    cc = Table(
        "campaign_customers", md, _pk(),
        _ref("campaign_id"),
        Column("first_name", String(100)),
        Column("last_name", String(100)),
        Column("phone1", String(40)),
        Column("phone2", String(40)),
        Column("email", String(254)),
        Column("language", String(8)),
        Column("customer_status", String(32)),
        Column("imported_at", DateTime),
        Column("last_called_at", DateTime),
    )
    Index("ix_campaign_customers_campaign_id", cc.c.campaign_id)
    cf = Table(
        "customer_fields", md, _pk(),
        _ref("customer_id"),
        Column("field_name", String(64), nullable=False),
        Column("field_value", String(1000)),
    )
    Index("ix_customer_fields_customer_id", cf.c.customer_id)
    oc = Table(
        "outbound_calls", md, _pk(),
        _ref("customer_id"),
        _ref("agent_id"),
        Column("started_at", DateTime),
        Column("dialled_number", String(40)),
        Column("call_result", String(32)),
        Column("talk_seconds", Integer),
        Column("recording_file", String(255)),
    )
    Index("ix_outbound_calls_customer_id", oc.c.customer_id)
    return md


def monitoring_metadata() -> MetaData:
    md = MetaData()
    ce = Table("contact_events", md, *_contact_event_columns())
    Index("ix_monitoring_contact_events_started_at", ce.c.started_at)
    return md


METADATA_BUILDERS = {
    "configuration": configuration_metadata,
    "directory": directory_metadata,
    "operative": operative_metadata,
    "outbound": outbound_metadata,
    "monitoring1": monitoring_metadata,
}


def metadata_for(database: str) -> MetaData:
    """Return a fresh ``MetaData`` holding the demo tables of ``database``.

    On MariaDB the tables are InnoDB whatever the server's default engine: erasure
    needs transactions (``check`` refuses other engines).
    """
    md = METADATA_BUILDERS[database]()
    for table in md.tables.values():
        table.dialect_kwargs["mysql_engine"] = "InnoDB"
    return md
