"""The draw of a build: who exists, and which random contact events happen when.

:func:`make_draw` draws everything before a row is written: the population, the
agents and, per random contact event, its attributes as small numpy arrays
(:class:`Events`). The loaders of the other modules then turn the draw into rows
block by block. Time order mixes the random events with the sample subjects'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import names as N
from .agents import Agent, agents_for
from .centre import CH, COUNTRY_QUEUE, OUTCOMES, PHONE_CHANNELS, QUEUE_ID, outcome_codes
from .common import DAY, S_EVENTS, S_PEOPLE, SPAN_DAYS, cap, random_stream
from .people import FORMAT_P, People, draw_people
from .sample_rows import SampleRows, sample_rows


@dataclass(frozen=True)
class Events:
    """Per random event (including monitoring-only "orphans") its drawn attributes."""

    t: np.ndarray
    ch: np.ndarray
    direction: np.ndarray
    person: np.ndarray
    queue: np.ndarray
    agent: np.ndarray  # user id, 0 for none
    wait: np.ndarray
    handling: np.ndarray
    outcome: np.ndarray  # index into centre.OUTCOMES
    fmt: np.ndarray
    junk: np.ndarray
    case: np.ndarray
    named: np.ndarray
    contact: np.ndarray  # chat: left an e-mail address; messenger: shows a number
    topic: np.ndarray
    recorded: np.ndarray
    attachments: np.ndarray  # number of attachment files
    consent: np.ndarray
    orphan: np.ndarray  # only in monitoring: the original was deleted
    monitored: np.ndarray  # has a monitoring copy (or is an orphan)


@dataclass(frozen=True)
class Draw:
    """Everything drawn before rows are written."""

    seed: int
    events: int
    max_files: int
    people: People
    contact_people: int  # people[:contact_people] contact the centre
    agents: list[Agent]
    random: Events
    samples: SampleRows
    order: np.ndarray  # slot codes in time order: < len(random.t) random, else sample index

    @property
    def slots(self) -> int:
        return len(self.order)

    @property
    def operative_events(self) -> int:
        return int((~self.random.orphan).sum()) + sum(
            not e.monitoring_only for e in self.samples.events)


#: Below this many events the sample subjects do not leave room for 200 random ones.
MIN_EXACT_EVENTS = 1_141 + 200


def make_draw(events: int, seed: int, max_files: int) -> Draw:
    """Draw the population, the agents and the random events of a build."""
    samples = sample_rows()
    in_operative = sum(not e.monitoring_only for e in samples.events)
    n_random = max(events - in_operative, min(events, 200))
    n_orphans = max(3, n_random // 2000)
    n_people = max(50, n_random // 8)
    extra = max(200, events // 40) + events // 10
    people = draw_people(random_stream(seed, S_PEOPLE), n_people + extra)
    agents = agents_for(events)
    rnd = _draw_events(random_stream(seed, S_EVENTS), n_random, n_orphans, n_people, agents,
                       people, max_files, events // 20)
    sample_t = np.array([e.started for e in samples.events], dtype=np.int64)
    order = np.argsort(np.concatenate([rnd.t, sample_t]), kind="stable")
    return Draw(seed, events, max_files, people, n_people, agents, rnd, samples, order)


def _draw_times(rng: np.random.Generator, n: int) -> np.ndarray:
    day = np.arange(SPAN_DAYS)
    weekday = day % 7  # 2024-01-01 was a Monday
    w = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.35, 0.2)) * (1 + 0.6 * day / SPAN_DAYS)
    hours = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2, 5, 7, 7, 6, 5, 6, 6, 5, 4, 3, 2, 1.5,
                      1.2, 1, 0.6, 0.3])
    days = rng.choice(SPAN_DAYS, size=n, p=w / w.sum())
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return np.sort(days * DAY + hour * 3600 + rng.integers(0, 3600, n))


def _by_channel(rng: np.random.Generator, ch: np.ndarray,
                table: Mapping[str, Sequence[float]]) -> np.ndarray:
    out = np.zeros(len(ch), dtype=np.int64)
    for name, probs in table.items():
        mask = ch == CH[name]
        p = np.asarray(probs, dtype=float)
        out[mask] = rng.choice(len(p), size=int(mask.sum()), p=p / p.sum())
    return out


def _draw_events(rng: np.random.Generator, n_random: int, n_orphans: int, n_people: int,
                 agents: list[Agent], people: People, max_files: int,
                 consent_target: int) -> Events:
    n = n_random + n_orphans
    t = _draw_times(rng, n)
    ch = rng.choice(len(N.CHANNELS), size=n, p=np.array(N.CHANNEL_WEIGHTS) / sum(N.CHANNEL_WEIGHTS))
    direction = _by_channel(rng, ch, {"call": (0.7, 0.25, 0.05), "voicemail": (1, 0, 0),
                                      "email": (0.8, 0.2, 0), "chat": (1, 0, 0),
                                      "sms": (0.6, 0.4, 0), "messenger": (1, 0, 0)})
    # A few people contact the centre often, most once or twice.
    weight = rng.lognormal(0.0, 1.2, n_people)
    person = rng.choice(n_people, size=n, p=weight / weight.sum())
    outcome = np.zeros(n, dtype=np.int64)
    offset = 0
    for name in N.CHANNELS:
        probs = np.array([p for _, p in N.OUTCOMES[name]])
        mask = ch == CH[name]
        outcome[mask] = offset + rng.choice(len(probs), size=int(mask.sum()), p=probs / probs.sum())
        offset += len(probs)
    out_call = (ch == CH["call"]) & (direction == 1)
    outcome[out_call & np.isin(outcome, outcome_codes("abandoned", "transferred"))] = \
        OUTCOMES.index("no_answer")
    unhandled = np.isin(outcome, outcome_codes(*N.UNHANDLED))
    agent_ids = np.array([a.id for a in agents])
    agent = np.where(unhandled, 0, agent_ids[rng.integers(0, len(agent_ids), n)])
    wait, handling = _durations(rng, ch, direction, outcome)
    orphan = np.zeros(n, dtype=bool)
    cutoff = t[int(0.4 * n)] if n else 0
    monitored = t >= cutoff
    orphan[rng.choice(np.flatnonzero(monitored), size=n_orphans, replace=False)] = True
    fmt = rng.choice(len(N.PHONE_FORMATS), size=n, p=FORMAT_P)
    junk = rng.random(n) < 0.03
    internal = direction == 2
    recorded = cap(rng, ~orphan & (((ch == CH["call"]) & ~internal
                                    & np.isin(outcome, outcome_codes("answered", "transferred"))
                                    & (rng.random(n) < 0.85)) | (ch == CH["voicemail"])),
                   max_files - max_files // 10)
    attachments = _cap_counts(rng, np.where(~orphan & (ch == CH["email"]) & (direction == 0)
                                            & (rng.random(n) < 0.4),
                                            1 + (rng.random(n) < 0.3), 0), max_files)
    eligible = ~orphan & ~junk & ~internal & PHONE_CHANNELS[ch]
    consent = cap(rng, eligible, consent_target)
    # Narrow types keep ten million events in a few hundred megabytes.
    return Events(
        t=t, ch=ch.astype(np.int8), direction=direction.astype(np.int8),
        person=person.astype(np.int32),
        queue=_queues(rng, ch, direction, people.country[person]).astype(np.int16),
        agent=agent.astype(np.int32), wait=wait.astype(np.int32),
        handling=handling.astype(np.int32), outcome=outcome.astype(np.int8),
        fmt=fmt.astype(np.int8), junk=junk,
        case=rng.choice(4, size=n, p=[0.7, 0.12, 0.1, 0.08]).astype(np.int8),
        named=_by_channel(rng, ch, {"call": (0.85, 0.15), "email": (0.1, 0.9),
                                    "chat": (0, 1), "messenger": (0, 1),
                                    "voicemail": (1, 0), "sms": (1, 0)}).astype(bool),
        contact=rng.random(n) < np.where(ch == CH["chat"], 0.7, 0.5),
        topic=rng.integers(0, len(N.TOPICS), n, dtype=np.int8), recorded=recorded,
        attachments=attachments.astype(np.int8),
        consent=consent, orphan=orphan, monitored=monitored)


def _durations(rng: np.random.Generator, ch: np.ndarray, direction: np.ndarray,
               outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(ch)
    mean_wait = np.array([45, 0, 6 * 3600, 30, 600, 300])[ch]
    wait = np.where(direction == 0, rng.exponential(1.0, n) * mean_wait, 0).astype(np.int64)
    low = np.array([30, 10, 60, 120, 20, 60])[ch]
    handling = (low + rng.lognormal(5.0, 0.8, n) * np.array([1.2, 0.1, 1, 1.5, 0.2, 1])[ch])
    idle = np.isin(outcome, outcome_codes("abandoned", "no_answer", "busy", "no_reply"))
    return wait, np.where(idle, 0, handling).astype(np.int64)


def _queues(rng: np.random.Generator, ch: np.ndarray, direction: np.ndarray,
            country: np.ndarray) -> np.ndarray:
    n = len(ch)
    call = np.where(rng.random(n) < 0.75, COUNTRY_QUEUE[country],
                    np.where(rng.random(n) < 0.5, QUEUE_ID["Billing"],
                             QUEUE_ID["Technical support"]))
    call = np.where(direction == 1, QUEUE_ID["Sales outbound"], call)
    email = np.where(rng.random(n) < 0.8, QUEUE_ID["E-mail service"], QUEUE_ID["E-mail billing"])
    queue = np.where(ch == CH["call"], call, email)
    for channel, name in (("voicemail", "Voicemail"), ("chat", "Web chat"),
                          ("sms", "SMS service"), ("messenger", "Messenger")):
        queue[ch == CH[channel]] = QUEUE_ID[name]
    return queue


def _cap_counts(rng: np.random.Generator, counts: np.ndarray, limit: int) -> np.ndarray:
    """Keep whole rows of ``counts`` (in random order) while their sum stays within ``limit``."""
    idx = rng.permutation(np.flatnonzero(counts))
    keep = idx[np.cumsum(counts[idx]) <= limit]
    out = np.zeros(len(counts), dtype=np.int64)
    out[keep] = counts[keep]
    return out
