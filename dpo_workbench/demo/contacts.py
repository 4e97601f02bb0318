"""The operative and monitoring databases: contact events, their children and consents.

Contact events are written in time order, random and sample subjects' events
mixed, in blocks of :data:`common.BLOCK` slots so that memory stays flat; each
block draws from its own random stream. Per event come its children (attachments,
transcript messages, notes, call data, script answers, customer consents) and,
for recent events, a copy in the monitoring database; a few recent events exist
only there ("orphans").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..progress import Progress
from . import names as N
from .centre import CH, CHANNEL_ARR, DIRECTION_ARR, OUTCOME_ARR, PHONE_CHANNELS
from .common import BLOCK, S_BLOCK, dated_path, group_cumsum, random_stream, timestamps
from .draw import Draw
from .files import ATTACHMENT_TYPES, attachment_bytes, wav_bytes, write_file
from .loaders import Row, Sink
from .people import FIRST, LAST, context, display_name, email_body, nickname, phone_text, place
from .sample_rows import SampleEvent, subject_context
from .samples import SAMPLES

CONTACT_COLUMNS: tuple[str, ...] = (
    "id", "channel", "direction", "queue_id", "agent_id", "started_at", "ended_at",
    "wait_seconds", "handling_seconds", "outcome", "remote_number", "remote_address",
    "remote_name", "subject", "body", "recording_file")
SHARED = 14  # the first columns are shared by the monitoring copy
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "email_attachments": ("id", "contact_id", "file_name", "content_type", "size_bytes",
                          "storage_path"),
    "transcript_messages": ("id", "contact_id", "seq", "sent_at", "sender", "sender_name",
                            "message"),
    "contact_notes": ("id", "contact_id", "author_id", "created_at", "note_text"),
    "call_data": ("id", "contact_id", "data_key", "data_value"),
    "script_answers": ("id", "contact_id", "question", "answer_text"),
    "customer_consents": ("id", "phone_number", "consent_type", "given_at", "consent_value",
                          "contact_id"),
}


class _Children:
    """Child rows of one block, numbered on from the previous blocks."""

    def __init__(self, next_ids: dict[str, int]):
        self.next_ids = next_ids
        self.rows: dict[str, list[Row]] = {name: [] for name in CHILD_COLUMNS}

    def add(self, table: str, *values: Any) -> int:
        row_id = self.next_ids[table]
        self.next_ids[table] = row_id + 1
        self.rows[table].append((row_id, *values))
        return row_id


def load_contacts(operative: Sink, monitoring: Sink, plan: Draw, files: Path,
                  report: Progress) -> None:
    """Write the contact events with their children, and the monitoring copies; files too."""
    next_ids = dict.fromkeys(CHILD_COLUMNS, 1)
    agents = {a.id: a.display_name for a in plan.agents}
    done = 0
    for lo in range(0, plan.slots, BLOCK):
        hi = min(lo + BLOCK, plan.slots)
        children = _Children(next_ids)
        rows, mon = _contact_block(plan, lo, hi, agents, children, files)
        operative.insert("contact_events", CONTACT_COLUMNS, rows)
        for table, columns in CHILD_COLUMNS.items():
            operative.insert(table, columns, children.rows[table])
        monitoring.insert("contact_events", CONTACT_COLUMNS[:SHARED], mon)
        done += len(rows)
        report("operative: contact events", done, plan.operative_events)


def _contact_block(plan: Draw, lo: int, hi: int, agents: Mapping[int, str],
                   children: _Children, files: Path) -> tuple[list[Row], list[Row]]:
    slots = plan.order[lo:hi]
    ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
    n_random = len(plan.random.t)
    rpos = np.flatnonzero(slots < n_random)
    rng = random_stream(plan.seed, S_BLOCK, lo)
    rows, mon = _random_rows(plan, slots[rpos], ids[rpos], agents, children, files, rng)
    for pos in np.flatnonzero(slots >= n_random).tolist():
        event = plan.samples.events[int(slots[pos]) - n_random]
        row = _sample_row(event, int(ids[pos]), agents, children, files)
        if not event.monitoring_only:
            rows.append(row)
        if event.copied or event.monitoring_only:
            mon.append(row[:SHARED])
    return rows, mon


def _random_rows(plan: Draw, idx: np.ndarray, ids: np.ndarray, agents: Mapping[int, str],
                 children: _Children, files: Path,
                 rng: np.random.Generator) -> tuple[list[Row], list[Row]]:
    ev = plan.random
    n = len(idx)
    ch = ev.ch[idx]
    started = timestamps(ev.t[idx])
    ended = timestamps(ev.t[idx] + ev.wait[idx] + ev.handling[idx])
    texts = _event_texts(plan, idx, ids, agents, rng)
    recorded = np.flatnonzero(ev.recorded[idx])
    recording = _scatter(n, recorded, [dated_path(started[i], f"{ids[i]}.wav")
                                       for i in recorded.tolist()])
    for i in recorded.tolist():
        write_file(files / "recordings", recording[i], wav_bytes(int(ids[i])))
    agent = [a or None for a in ev.agent[idx].tolist()]
    rows = list(zip(ids.tolist(), CHANNEL_ARR[ch].tolist(),
                    DIRECTION_ARR[ev.direction[idx]].tolist(), ev.queue[idx].tolist(), agent,
                    started, ended, ev.wait[idx].tolist(), ev.handling[idx].tolist(),
                    OUTCOME_ARR[ev.outcome[idx]].tolist(), texts["number"], texts["address"],
                    texts["name"], texts["subject"], texts["body"], recording, strict=True))
    keep = ~ev.orphan[idx]
    mon = [r[:SHARED] for r, m in zip(rows, ev.monitored[idx].tolist(), strict=True) if m]
    rows = [r for r, k in zip(rows, keep.tolist(), strict=True) if k]
    kept = keep.tolist()
    started_kept = [s for s, k in zip(started, kept, strict=True) if k]
    ctx_kept = [c for c, k in zip(texts["ctx"], kept, strict=True) if k]
    _random_children(plan, idx[keep], ids[keep], started_kept, ctx_kept, children, files, rng)
    return rows, mon


def _scatter(n: int, positions: np.ndarray, values: Sequence[Any]) -> list[Any]:
    """``n`` Nones, but ``values`` at ``positions``."""
    out: list[Any] = [None] * n
    for i, v in zip(positions.tolist(), values, strict=True):
        out[i] = v
    return out


def _event_texts(plan: Draw, idx: np.ndarray, ids: np.ndarray, agents: Mapping[int, str],
                 rng: np.random.Generator) -> dict[str, list[Any]]:
    """remote_number/address/name, subject and body of random events, and their contexts."""
    ev, people = plan.random, plan.people
    n = len(idx)
    ch, person, direction = ev.ch[idx], ev.person[idx], ev.direction[idx]
    plan_, rest = people.plan[person], people.rest[person]
    numbers: list[str | None] = [None] * n
    phone_rows = np.flatnonzero(PHONE_CHANNELS[ch] | ((ch == CH["messenger"]) & ev.contact[idx]))
    for i, p, r, f in zip(phone_rows.tolist(), plan_[phone_rows].tolist(),
                          rest[phone_rows].tolist(), ev.fmt[idx][phone_rows].tolist(), strict=True):
        numbers[i] = phone_text(p, r, f)
    junk = np.flatnonzero(ev.junk[idx] & PHONE_CHANNELS[ch])
    for i, j in zip(junk.tolist(), rng.integers(0, len(N.JUNK_NUMBERS), len(junk)).tolist(),
                    strict=True):
        numbers[i] = N.JUNK_NUMBERS[j]
    for i in np.flatnonzero(direction == 2).tolist():  # internal calls show an extension
        numbers[i] = str(2000 + (int(ids[i]) * 37) % 800)
    address: list[str | None] = [None] * n
    mail_rows = np.flatnonzero((ch == CH["email"]) | ((ch == CH["chat"]) & ev.contact[idx]))
    for i, p, c in zip(mail_rows.tolist(), person[mail_rows].tolist(),
                       ev.case[idx][mail_rows].tolist(), strict=True):
        address[i] = N.email_case(people.email[p], c)
    first = [FIRST[f] for f in people.first[person].tolist()]
    last = [LAST[x] for x in people.last[person].tolist()]
    name: list[str | None] = [None] * n
    styles = rng.integers(0, 4, n).tolist()
    for i in np.flatnonzero(ev.named[idx]).tolist():
        c = int(ch[i])
        if c in (CH["chat"], CH["messenger"]):
            name[i] = nickname(first[i], last[i], styles[i])
        elif c == CH["call"]:  # the caller name the operator network sends
            name[i] = f"{last[i].upper()} {first[i].upper()}"
        else:
            name[i] = display_name(first[i], last[i], styles[i])
    for i in np.flatnonzero(direction == 2).tolist():  # internal calls: a colleague
        name[i] = agents.get(3 + int(ids[i]) % len(agents))
    ctx = _contexts(plan, idx, ids, person, first, last, agents)
    subject, body = _subjects_and_bodies(plan, idx, ch, direction, ctx, rng)
    return {"number": numbers, "address": address, "name": name, "subject": subject,
            "body": body, "ctx": ctx}


def _contexts(plan: Draw, idx: np.ndarray, ids: np.ndarray, person: np.ndarray,
              first: list[str], last: list[str],
              agents: Mapping[int, str]) -> list[dict[str, str]]:
    """Placeholder values of the texts of each event ({first}, {order}, {phone}...)."""
    ev, people = plan.random, plan.people
    fmts = ((ev.fmt[idx] + 3) % len(N.PHONE_FORMATS)).tolist()
    return [context(f, la, agents.get(a, "the agent"), i, phone_text(pl, r, fm),
                    people.email[p], place(c, p))
            for f, la, a, i, pl, r, fm, p, c in zip(
                first, last, ev.agent[idx].tolist(), ids.tolist(),
                people.plan[person].tolist(), people.rest[person].tolist(), fmts,
                person.tolist(), people.country[person].tolist(), strict=True)]


def _subjects_and_bodies(plan: Draw, idx: np.ndarray, ch: np.ndarray, direction: np.ndarray,
                         ctx: list[dict[str, str]],
                         rng: np.random.Generator) -> tuple[list[str | None], list[str | None]]:
    ev, people = plan.random, plan.people
    n = len(idx)
    subject: list[str | None] = [None] * n
    body: list[str | None] = [None] * n
    picks = rng.integers(0, 4, (n, 3))
    sign = rng.integers(0, len(N.SIGN_OFFS), n)
    for i in np.flatnonzero(ch == CH["email"]).tolist():
        topic = N.TOPICS[int(ev.topic[idx[i]])]
        c = ctx[i]
        line = N.SUBJECTS[topic][int(picks[i, 0]) % 3].format(**c)
        outgoing = bool(direction[i] == 1)
        subject[i] = f"Re: {line}" if outgoing else line
        greeting = N.COUNTRIES[int(people.country[ev.person[idx[i]]])].greeting
        count = 2 + int(picks[i, 2]) % 2
        body[i] = email_body(c, greeting, topic, sorted(set(picks[i, :count].tolist())) or [0],
                              int(sign[i]), outgoing)
    chats = np.flatnonzero((ch == CH["chat"]) & (picks[:, 1] < 2))
    for i in chats.tolist():
        subject[i] = f"Chat: {N.TOPICS[int(ev.topic[idx[i]])]}"
    return subject, body


def _random_children(plan: Draw, idx: np.ndarray, ids: np.ndarray, started: list[str],
                     ctx: list[dict[str, str]], children: _Children, files: Path,
                     rng: np.random.Generator) -> None:
    ev = plan.random
    _attachments(plan, idx, ids, started, ctx, children, files)
    _transcripts(plan, idx, ids, ctx, children, rng)
    _notes_and_data(plan, idx, ids, ctx, children, rng)
    rows = np.flatnonzero(ev.consent[idx])
    given = timestamps(ev.t[idx[rows]] + ev.wait[idx[rows]] + 5 + rows % 40)
    for i, when in zip(rows.tolist(), given, strict=True):
        p = int(ev.person[idx[i]])
        # The consent system stores the number its own way, not as the switch saw it.
        phone = phone_text(int(plan.people.plan[p]), int(plan.people.rest[p]),
                           (int(ev.fmt[idx[i]]) + i) % len(N.PHONE_FORMATS))
        kind = ("recording", "recording", "marketing", "survey")[int(ids[i]) % 4]
        children.add("customer_consents", phone, kind, when, int(ids[i] % 10 < 7), int(ids[i]))


_ATTACH_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "invoice": (("invoice_{invoice}.pdf", "pdf"), ("payment_receipt.pdf", "pdf")),
    "delivery": (("order_{order}.csv", "csv"), ("tracking_screenshot.png", "png")),
    "address": (("moving_notice.txt", "txt"), ("lease_agreement.pdf", "pdf")),
    "cancel": (("cancellation.pdf", "pdf"), ("notes.txt", "txt")),
    "complaint": (("damage_{order}.png", "png"), ("order_{order}.csv", "csv")),
    "appointment": (("directions.txt", "txt"), ("floor_plan.png", "png")),
    "login": (("error_message.png", "png"), ("browser_log.txt", "txt")),
    "product": (("offer_request.pdf", "pdf"), ("current_contract.pdf", "pdf")),
}


def _attachments(plan: Draw, idx: np.ndarray, ids: np.ndarray, started: list[str],
                 ctx: list[dict[str, str]], children: _Children, files: Path) -> None:
    ev = plan.random
    for i in np.flatnonzero(ev.attachments[idx]).tolist():
        c = ctx[i]
        kinds = _ATTACH_KINDS[N.TOPICS[int(ev.topic[idx[i]])]]
        for j in range(int(ev.attachments[idx[i]])):
            pattern, ext = kinds[j]
            _add_attachment(children, files, int(ids[i]), started[i], pattern.format(**c), ext,
                            c)


def _add_attachment(children: _Children, files: Path, contact_id: int, started: str,
                    file_name: str, ext: str, ctx: Mapping[str, str]) -> None:
    att_id = children.next_ids["email_attachments"]
    path = dated_path(started, f"{att_id}.{ext}")
    lines = [f"Customer: {ctx['first']} {ctx['last']}", f"Order: {ctx['order']}",
             f"Invoice: {ctx['invoice']}", f"Amount: {ctx['amount']} EUR",
             f"Address: {ctx['street']}, {ctx['city']}"]
    size = write_file(files / "attachments", path,
                      attachment_bytes(ext, att_id, file_name.rsplit(".", 1)[0], lines))
    children.add("email_attachments", contact_id, file_name, ATTACHMENT_TYPES[ext], size, path)


def _transcripts(plan: Draw, idx: np.ndarray, ids: np.ndarray, ctx: list[dict[str, str]],
                 children: _Children, rng: np.random.Generator) -> None:
    ev = plan.random
    ch = ev.ch[idx]
    rows = np.flatnonzero(np.isin(ch, [CH["chat"], CH["sms"], CH["messenger"]]))
    low = np.array([0, 0, 0, 3, 1, 2])[ch[rows]]
    high = np.array([1, 1, 1, 9, 3, 6])[ch[rows]]
    counts = low + (rng.random(len(rows)) * (high - low + 1)).astype(np.int64)
    picks = rng.integers(0, 1 << 20, int(counts.sum())).tolist()
    start = np.repeat(ev.t[idx[rows]] + ev.wait[idx[rows]], counts)
    sent = timestamps(start + group_cumsum(rng.integers(15, 120, len(start)), counts))
    numbers = _contact_numbers(plan, idx[rows])
    m = 0
    for r, (i, count) in enumerate(zip(rows.tolist(), counts.tolist(), strict=True)):
        c = ctx[i]
        e = idx[i]
        chat = int(ch[i]) == CH["chat"]
        unhandled = int(ev.agent[e]) == 0
        customer_name = numbers[r] if int(ch[i]) == CH["sms"] else c["first"]
        for k in range(count):
            if chat and k == 0:
                sender, name, text = "system", None, N.SYSTEM_MESSAGES[picks[m] % 2].format(**c)
            elif not unhandled and k % 2 == (0 if chat else 1):
                sender, name = "agent", c["agent"]
                text = N.CHAT_AGENT[0 if k <= 2 else picks[m] % len(N.CHAT_AGENT)].format(**c)
            else:
                sender, name = "customer", customer_name
                pool = N.CHAT_OPENERS if k <= int(chat) else N.CHAT_CUSTOMER
                text = pool[picks[m] % len(pool)].format(**c)
            children.add("transcript_messages", int(ids[i]), k + 1, sent[m], sender, name, text)
            m += 1


#: names.PHONE_FORMATS index of the international compact spelling, "+358401234567".
_GATEWAY_FORMAT = 4


def _contact_numbers(plan: Draw, idx: np.ndarray) -> list[str]:  # idx: random event indices
    """The person's number as an SMS gateway shows it (international, compact)."""
    p = plan.people
    person = plan.random.person[idx]
    return [phone_text(pl, r, _GATEWAY_FORMAT)
            for pl, r in zip(p.plan[person].tolist(), p.rest[person].tolist(), strict=True)]


def _notes_and_data(plan: Draw, idx: np.ndarray, ids: np.ndarray,
                    ctx: list[dict[str, str]], children: _Children,
                    rng: np.random.Generator) -> None:
    ev, people = plan.random, plan.people
    n = len(idx)
    ch, agent = ev.ch[idx], ev.agent[idx]
    ended = ev.t[idx] + ev.wait[idx] + ev.handling[idx]
    note_rows = np.flatnonzero((agent > 0) & (rng.random(n) < 0.12))
    note_times = timestamps(ended[note_rows])
    picks = rng.integers(0, 1 << 20, (n, 4)).tolist()
    for i, when in zip(note_rows.tolist(), note_times, strict=True):
        c = ctx[i]
        children.add("contact_notes", int(ids[i]), int(agent[i]), when,
                     N.NOTES[picks[i][0] % len(N.NOTES)].format(**c))
    data_rows = np.flatnonzero(np.isin(ch, [CH["call"], CH["voicemail"], CH["chat"]]))
    count = rng.choice(4, size=len(data_rows), p=[0.25, 0.3, 0.27, 0.18]).tolist()
    for i, k in zip(data_rows.tolist(), count, strict=True):
        c = ctx[i]
        p = int(ev.person[idx[i]])
        for j in range(k):
            key = N.CALL_DATA_KEYS[(picks[i][1] + j * 3) % len(N.CALL_DATA_KEYS)]
            children.add("call_data", int(ids[i]), key,
                         _call_data_value(key, c, p, int(people.country[p]), picks[i][2] + j))
    script_rows = np.flatnonzero((ch == CH["call"]) & (agent > 0) & (rng.random(n) < 0.1))
    for i in script_rows.tolist():
        c = ctx[i]
        for j in range(1 + picks[i][3] % 2):
            question, answers = N.SCRIPT_QUESTIONS[(picks[i][3] + j) % len(N.SCRIPT_QUESTIONS)]
            children.add("script_answers", int(ids[i]), question,
                         answers[picks[i][2] % len(answers)].format(**c))


def _call_data_value(key: str, ctx: Mapping[str, str], person: int, country: int,
                     pick: int) -> str:
    if key == "customer_number":
        return f"C-{100000 + person}"
    if key == "order_id":
        return ctx["order"]
    if key == "caller_email":
        return N.email_case(ctx["email"], pick % 4)
    if key == "callback_number":
        return ctx["phone"]
    if key == "language":
        return N.COUNTRIES[country].language
    if key == "ivr_path":
        return f"{1 + pick % 3}-{1 + pick % 4}-{1 + pick % 2}"
    return f"CASE-{ctx['invoice']}"


def _sample_row(event: SampleEvent, row_id: int, agents: Mapping[int, str],
                children: _Children, files: Path) -> Row:
    start, end = timestamps([event.started, event.started + event.wait + event.handling])
    recording = dated_path(start, f"{row_id}.wav") if event.recording else None
    row = (row_id, event.channel, event.direction, event.queue, event.agent, start, end,
           event.wait, event.handling, event.outcome, event.remote_number, event.remote_address,
           event.remote_name, event.subject_line, event.body, recording)
    if event.monitoring_only:
        return row
    if recording:
        write_file(files / "recordings", recording, wav_bytes(row_id))
    subject = next(s for s in SAMPLES if s.key == event.subject)
    ctx = subject_context(subject, agents.get(event.agent or 0, ""), row_id)
    for file_name, ext in event.attachments:
        _add_attachment(children, files, row_id, start, file_name, ext, ctx)
    sent = timestamps([event.started + event.wait + 30 * (k + 1)
                       for k in range(len(event.transcript))])
    for k, (sender, name, message) in enumerate(event.transcript):
        children.add("transcript_messages", row_id, k + 1, sent[k], sender, name, message)
    for note in event.notes:
        children.add("contact_notes", row_id, event.agent, end, note)
    for key, value in event.call_data:
        children.add("call_data", row_id, key, value)
    for question, answer in event.script:
        children.add("script_answers", row_id, question, answer)
    for phone, kind, value in event.consents:
        given = timestamps([event.started + event.wait + 10])[0]
        children.add("customer_consents", phone, kind, given, value, row_id)
    return row
