"""The contact centre's users and the configuration database (queues, users, rights).

The first agents do not depend on the seed, so that the sample subjects' rows
(which name them) are the same in every build.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..passwords import hash_password
from ..progress import Progress
from . import names as N
from .common import DAY, FIXED_STREAM, S_AGENTS, random_stream, timestamps
from .loaders import Row, Sink
from .people import FIRST, FORBIDDEN_NAMES, LAST, next_last, pick_names

DEMO_PASSWORDS = {"dpo": "dpo-demo", "agent": "agent-demo"}


@dataclass(frozen=True)
class Agent:
    """A user of the contact centre."""

    id: int
    display_name: str
    username: str


@functools.lru_cache(maxsize=8)
def fixed_agents(count: int = 20) -> list[tuple[int, str, str]]:
    """(id, display name, user name) of the first ``count`` agents, independent of the seed."""
    blocks = [random_stream(FIXED_STREAM, S_AGENTS, b) for b in range((count + 19) // 20)]
    country = np.concatenate([r.choice(len(N.COUNTRIES), size=20,
                                       p=[0.6, 0.1, 0.05, 0.1, 0.1, 0.03, 0.02])
                              for r in blocks])[:count]
    u = np.concatenate([r.random((2, 20)) for r in blocks], axis=1)[:, :count]
    first, last = pick_names(country, u[0], u[1])
    out, seen = [], set(DEMO_PASSWORDS)
    for i, (f, l_) in enumerate(zip(first.tolist(), last.tolist(), strict=True)):
        if (FIRST[f], LAST[l_]) in FORBIDDEN_NAMES:
            l_ = next_last(country[i], l_)
        base = f"{N.ascii_fold(FIRST[f])}.{N.ascii_fold(LAST[l_])}".lower()
        user, k = base, 1
        while user in seen:
            k += 1
            user = f"{base}{k}"
        seen.add(user)
        out.append((3 + i, f"{FIRST[f]} {LAST[l_]}", user))
    return out


def agents_for(events: int) -> list[Agent]:
    """The agents of an installation of ``events`` contact events (one per 2,000, 20 at least)."""
    count = max(20, events // 2000)
    return [Agent(i, name, user) for i, name, user in fixed_agents(count)]


def load_configuration(sink: Sink, agents: Sequence[Agent], report: Progress) -> None:
    """Write queues, users (the demo DPO and agent, then ``agents``) and their rights."""
    report("configuration", 0, 3)
    sink.insert("queues", ["id", "name", "channel", "phone_number"],
                [(i + 1, name, ch, phone) for i, (name, ch, phone) in enumerate(N.QUEUES)])
    hashes = {pw: hash_password(pw) for pw in sorted(set(DEMO_PASSWORDS.values()))}
    users: list[Row] = [
        (1, "dpo", "Demo DPO", "dpo@contactcentre.example.com", hashes["dpo-demo"], 1,
         "2023-11-01 09:00:00.000000"),
        (2, "agent", "Demo Agent", "agent@contactcentre.example.com", hashes["agent-demo"], 1,
         "2023-11-01 09:00:00.000000"),
    ]
    created = timestamps([-DAY * (400 - (a.id * 13) % 380) for a in agents])
    users += [(a.id, a.username, a.display_name, f"{a.username}@contactcentre.example.com",
               hashes["agent-demo"], int(a.id % 17 != 0), c)
              for a, c in zip(agents, created, strict=True)]
    report("configuration", 1, 3)
    sink.insert("users", ["id", "username", "display_name", "email", "password_hash", "active",
                          "created_at"], users)
    rights: list[tuple[int, str, str]] = [(1, "DPO", "Use"), (2, "Reporting", "Use"),
                                          (2, "Agent Desktop", "Use")]
    for a in agents:
        rights.append((a.id, "Agent Desktop", "Use"))
        if a.id % 10 == 0:
            rights.append((a.id, "Reporting", "Use"))
    rights.append((agents[0].id, "Administration", "Admin"))
    sink.insert("user_rights", ["id", "user_id", "module", "permission"],
                [(i + 1, *r) for i, r in enumerate(rights)])
    report("configuration", 3, 3)
