"""The sample data subjects' rows: fixed, the same in every build whatever ``events`` and ``seed``.

:func:`sample_rows` spells out every contact event, campaign customer and
directory entry of each subject of :mod:`dpo_workbench.demo.samples`, using each
of its phone and e-mail spellings in turn. The other modules write these rows
next to the random ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import names as N
from .agents import fixed_agents
from .centre import CAMPAIGN_STARTS, COUNTRY_QUEUE, QUEUE_ID
from .common import DAY, FIXED_STREAM, SPAN_DAYS, random_stream, seconds
from .people import context, email_body
from .samples import SAMPLES, SampleSubject


@dataclass(frozen=True)
class SampleEvent:
    """One contact event of a sample subject, with everything attached to it."""

    subject: str
    channel: str
    direction: str
    started: int  # seconds since 2024-01-01
    wait: int
    handling: int
    outcome: str
    agent: int | None  # user id
    queue: int
    remote_number: str | None
    remote_address: str | None
    remote_name: str | None
    subject_line: str | None
    body: str | None
    recording: bool
    attachments: tuple[tuple[str, str], ...] = ()  # (file name, extension)
    transcript: tuple[tuple[str, str | None, str], ...] = ()  # (sender, name, message)
    notes: tuple[str, ...] = ()
    call_data: tuple[tuple[str, str], ...] = ()
    script: tuple[tuple[str, str], ...] = ()
    consents: tuple[tuple[str, str, int], ...] = ()  # (phone, consent type, value)
    copied: bool = True  # has a monitoring copy
    monitoring_only: bool = False  # the original is gone from operative


@dataclass(frozen=True)
class SampleCustomer:
    """A campaign customer row of a sample subject, with its fields and calls."""

    campaign: int
    subject: SampleSubject
    phone1: str
    phone2: str | None
    email: str
    status: str
    imported: int
    fields: tuple[tuple[str, str], ...]
    # (agent, start, dialled number, result, talk seconds, recorded)
    calls: tuple[tuple[int, int, str, str, int, bool], ...]


@dataclass(frozen=True)
class SampleEntry:
    """A directory entry of a sample subject."""

    subject: SampleSubject
    phone_mobile: str
    email_work: str
    company: str
    title: str
    department: str
    updated: int


@dataclass(frozen=True)
class SampleRows:
    """Everything the sample subjects contribute to the demo."""

    events: tuple[SampleEvent, ...]
    customers: tuple[SampleCustomer, ...]
    entries: tuple[SampleEntry, ...]


SAMPLE_PLACES: dict[str, tuple[str, str, str]] = {
    "aino": ("Mannerheimintie 5 A 12", "00100", "Helsinki"),
    "soren": ("Østergade 14, 2. tv", "1050", "København K"),
    "zoe": ("Schloßallee 7", "80331", "München"),
    "aino_namesake": ("Hämeenkatu 22 B 5", "33100", "Tampere"),
    "neighbour": ("Koulukatu 3", "90100", "Oulu"),
    "switchboard": ("Aleksanterinkatu 1", "00100", "Helsinki"),
}
_SAMPLE_JOBS: dict[str, tuple[str, str, str]] = {
    "aino": ("Esimerkki Oy", "Purchasing Manager", "Purchasing"),
    "soren": ("Eksempel A/S", "Sales Director", "Sales"),
    "zoe": ("Beispiel GmbH", "Project Manager", "Projects"),
    "aino_namesake": ("Pohjolan Kauppa Oy", "Accountant", "Finance"),
}
# Mixes channels so that even two or three events hold a phone and an e-mail row.
_SAMPLE_PATTERN = ("call", "email", "voicemail", "chat", "sms", "call", "email", "call", "chat",
                   "sms", "messenger", "call")
_XSS_BODY = ('Hello,\n\nplease see my order below.\n<img src=x onerror="window.__xss=1">\n'
             '<script>window.__xss=2</script>\n\nBest regards,\nAino')


def subject_context(subject: SampleSubject, agent: str, key: int) -> dict[str, str]:
    """Placeholder values of a sample subject's texts: its first spellings, its place."""
    return context(subject.first_name, subject.last_name, agent, key, subject.spellings[0],
                   subject.email_spellings[0], SAMPLE_PLACES[subject.key])


class _Cycle:
    """Hands out a subject's spellings in turn, so that each one gets used."""

    def __init__(self, values: Sequence[str]):
        self._values, self._next = tuple(values), 0

    def __call__(self) -> str:
        value = self._values[self._next % len(self._values)]
        self._next += 1
        return value


def sample_rows() -> SampleRows:
    """The rows of every sample subject (the same in every build).

    Examples
    --------
    >>> rows = sample_rows()
    >>> sum(not e.monitoring_only for e in rows.events)
    1141
    """
    events: list[SampleEvent] = []
    customers: list[SampleCustomer] = []
    entries: list[SampleEntry] = []
    for number, subject in enumerate(SAMPLES):
        phones, emails = _Cycle(subject.spellings), _Cycle(subject.email_spellings)
        mine = _subject_events(number, subject, phones, emails)
        events += _with_consents(number, subject, mine, phones)
        customers += _subject_customers(number, subject, phones, emails)
        if subject.directory_entry:
            company, title, department = _SAMPLE_JOBS.get(subject.key, _SAMPLE_JOBS["aino"])
            entries.append(SampleEntry(subject, phones(), emails(), company, title, department,
                                       seconds("2025-02-03 10:00") + number * 86_400 * 40))
    return SampleRows(tuple(events), tuple(customers), tuple(entries))


def _subject_channels(subject: SampleSubject) -> list[str]:
    n = subject.contact_events
    if subject.key != "switchboard":
        return [_SAMPLE_PATTERN[i % len(_SAMPLE_PATTERN)] for i in range(n)]
    # A switchboard mostly calls; a few SMS, voicemails and e-mails.
    return ["email" if i % 50 == 7 else "sms" if i % 25 == 3 else
            "voicemail" if i % 100 == 11 else "call" for i in range(n)]


def _subject_times(number: int, n: int) -> list[int]:
    rng = random_stream(FIXED_STREAM, number)
    frac = (np.arange(n) + 0.2 + 0.6 * rng.random(n)) / n
    days = (frac * (SPAN_DAYS - 1)).astype(np.int64)
    secs = rng.integers(8 * 3600, 18 * 3600, n)
    return (days * DAY + secs).tolist()


def _subject_events(number: int, subject: SampleSubject, phones: _Cycle,
                    emails: _Cycle) -> list[SampleEvent]:
    channels = _subject_channels(subject)
    n_only = subject.monitoring_only_events
    total = len(channels) + n_only
    only_at = {int((j + 0.5) * total / n_only) for j in range(n_only)} if n_only else set()
    times = _subject_times(number, total)
    out: list[SampleEvent] = []
    operative = [i for i in range(total) if i not in only_at]
    counters = {"call": 0, "email": 0}
    for k, i in enumerate(operative):
        out.append(_subject_event(number, subject, channels[k], k, times[i], phones, emails,
                                  counters))
    for i in sorted(only_at):  # rows whose originals were deleted from operative
        agent = 3 + (number * 5 + i) % 20
        out.append(SampleEvent(subject.key, "call", "in", times[i], 12, 95, "answered", agent,
                               int(COUNTRY_QUEUE[0]), phones(), None, None, None, None, False,
                               copied=True, monitoring_only=True))
    return out


def _subject_event(number: int, subject: SampleSubject, channel: str, k: int, start: int,
                   phones: _Cycle, emails: _Cycle, counters: dict[str, int]) -> SampleEvent:
    agent = 3 + (number * 7 + k * 3) % 20
    agent_name = fixed_agents()[agent - 3][1]
    country = N.COUNTRY_CODES.index(subject.country)
    queue = int(COUNTRY_QUEUE[country])
    ctx = subject_context(subject, agent_name, 1000 * number + k)
    copied = k % 4 != 3
    full = f"{subject.first_name} {subject.last_name}"
    common = {"subject": subject.key, "started": start, "agent": agent, "copied": copied}
    if channel in ("call", "voicemail"):
        calls = counters["call"]
        counters["call"] += channel == "call"
        record = channel == "voicemail" or subject.key != "switchboard" or calls < 3
        if channel == "voicemail":
            return SampleEvent(**common | {"agent": None}, channel="voicemail", direction="in",
                               wait=0, handling=20 + k % 30, outcome="voicemail_left",
                               queue=QUEUE_ID["Voicemail"], remote_number=phones(),
                               remote_address=None, remote_name=None, subject_line=None,
                               body=None, recording=True)
        return SampleEvent(
            **common, channel="call", direction="out" if k % 5 == 4 else "in", wait=8 + k % 40,
            handling=60 + (k * 37) % 600, outcome="answered", queue=queue,
            remote_number=phones(), remote_address=None,
            remote_name=full.upper() if k % 3 == 0 and subject.key != "switchboard" else None,
            subject_line=None, body=None, recording=record,
            notes=(N.NOTES[k % len(N.NOTES)].format(**ctx),) if k % 2 == 0 else (),
            call_data=(("customer_number", f"C-{900001 + number}"),
                       ("callback_number", subject.spellings[-1]),
                       ("order_id", ctx["order"])),
            script=(("Reason for contact", f"Order {ctx['order']} missing"),) if k < 2 else ())
    if channel == "email":
        nth = counters["email"]
        counters["email"] += 1
        topic = N.TOPICS[(number + nth) % len(N.TOPICS)]
        xss = subject.key == "aino" and nth == 1
        line = "<b>Re: order</b>" if xss else N.SUBJECTS[topic][0].format(**ctx)
        body = _XSS_BODY if xss else email_body(
            ctx, N.COUNTRIES[country].greeting, topic, (0, 1, 3), nth % len(N.SIGN_OFFS), False)
        attach = ((f"invoice_{ctx['invoice']}.pdf", "pdf"), ("damage_photo.png", "png")) \
            if nth == 0 else ((f"order_{ctx['order']}.csv", "csv"),) if nth == 1 else ()
        if subject.key == "switchboard":
            attach = ()
        return SampleEvent(**common, channel="email", direction="in", wait=3600 + k * 60,
                           handling=240, outcome="replied", queue=QUEUE_ID["E-mail service"],
                           remote_number=None, remote_address=emails(), remote_name=full,
                           subject_line=line, body=body, recording=False, attachments=attach)
    if channel == "chat":
        address = emails()
        script = (("system", None, "Chat started"),
                  ("customer", subject.first_name, f"Hi, it's {full} here."),
                  ("agent", agent_name, N.CHAT_AGENT[0].format(**ctx)),
                  ("customer", subject.first_name,
                   f"My number is {subject.spellings[0]} and e-mail {address}."),
                  ("agent", agent_name, N.CHAT_AGENT[6].format(**ctx)))
        return SampleEvent(**common, channel="chat", direction="in", wait=25, handling=300,
                           outcome="completed", queue=QUEUE_ID["Web chat"], remote_number=None,
                           remote_address=address, remote_name=subject.first_name,
                           subject_line="Chat: order question", body=None, recording=False,
                           transcript=script)
    # sms / messenger: the number in the subject's next spelling
    number_text = phones()
    script = (("customer", number_text if channel == "sms" else subject.first_name,
               f"Hello, this is {subject.first_name}. Please call me back."),
              ("agent", agent_name, N.CHAT_AGENT[7].format(**ctx)),
              ("customer", number_text if channel == "sms" else subject.first_name,
               f"Yes, or e-mail {subject.email_spellings[0]}"))
    return SampleEvent(**common, channel=channel, direction="in", wait=120, handling=90,
                       outcome="replied" if channel == "sms" else "completed",
                       queue=QUEUE_ID["SMS service" if channel == "sms" else "Messenger"],
                       remote_number=number_text, remote_address=None,
                       remote_name=None if channel == "sms" else subject.first_name,
                       subject_line=None, body=None, recording=False, transcript=script)


def _with_consents(number: int, subject: SampleSubject, mine: list[SampleEvent],
                   phones: _Cycle) -> list[SampleEvent]:
    """Attach the subject's consents to its first phone events."""
    out, given = [], 0
    kinds = ("recording", "marketing", "survey")
    for event in mine:
        if given < subject.consents and not event.monitoring_only and event.remote_number:
            consent = (phones(), kinds[given % 3], (given + number + 1) % 2)
            event = SampleEvent(**{**event.__dict__, "consents": (consent,)})
            given += 1
        out.append(event)
    if given < subject.consents:
        raise RuntimeError(f"sample subject {subject.key} has too few phone events for its "
                           "consents; fix samples.py")
    return out


def _subject_customers(number: int, subject: SampleSubject, phones: _Cycle,
                       emails: _Cycle) -> list[SampleCustomer]:
    out = []
    place = SAMPLE_PLACES[subject.key]
    for i in range(subject.campaign_customers):
        campaign = 1 + (number * 2 + i * 3) % len(N.CAMPAIGNS)
        created = int(CAMPAIGN_STARTS[campaign - 1])
        phone1, email = phones(), emails()
        phone2 = phones() if i % 2 == 1 else None
        fields = (("contract_id", f"K-2025-{4711 + number * 10 + i:05d}"),
                  ("alt_email", emails()),
                  ("address", f"{place[0]}, {place[1]} {place[2]}"),
                  ("comment", f"Call the mobile {subject.spellings[0]}"))[: 2 + (i + number) % 3]
        agent = 3 + (number + i) % 20
        calls = ((agent, created + 5 * DAY + 3600, phone1, "no_answer", 0, False),
                 (agent, created + 9 * DAY + 7200, phones(), "answered", 180 + 20 * i, True))
        out.append(SampleCustomer(campaign, subject, phone1, phone2, email, "completed",
                                  created + DAY, fields, calls))
    return out


