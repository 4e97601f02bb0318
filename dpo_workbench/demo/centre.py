"""The contact centre's set-up from :mod:`names` as lookups: channels, outcomes, queues, campaigns.

Drawn attributes are small integers (channel 0..5, outcome index, queue id); these
tables turn them back into the text written to the databases.
"""

from __future__ import annotations

import numpy as np

from . import names as N
from .common import seconds

#: Channel name -> code.
CH = {name: i for i, name in enumerate(N.CHANNELS)}
#: Every outcome of every channel, flat; an event's outcome is an index into it.
OUTCOMES = tuple(o for ch in N.CHANNELS for o, _ in N.OUTCOMES[ch])
OUTCOME_ARR = np.array(OUTCOMES, dtype=object)


def outcome_codes(*names: str) -> list[int]:
    """Indexes into OUTCOMES of every outcome called one of ``names``."""
    return [i for i, o in enumerate(OUTCOMES) if o in names]


CHANNEL_ARR = np.array(N.CHANNELS, dtype=object)
DIRECTION_ARR = np.array(N.DIRECTIONS, dtype=object)
QUEUE_ID = {name: i + 1 for i, (name, _, _) in enumerate(N.QUEUES)}
#: Customer service queue of each country (same order as names.COUNTRIES).
COUNTRY_QUEUE = np.array([QUEUE_ID[q] for q in (
    "Customer service FI", "Kundtjänst SE", "Kundeservice DK", "Kundenservice DE",
    "Customer service UK", "Service client FR", "Klienditeenindus EE")])
PHONE_CHANNELS = np.array([True, True, False, False, True, False])  # call voicemail sms

#: When each campaign of names.CAMPAIGNS started (seconds since 2024-01-01).
CAMPAIGN_STARTS = np.array([seconds(f"{created} 09:00") for _, _, created in N.CAMPAIGNS])
