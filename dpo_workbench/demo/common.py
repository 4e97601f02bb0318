"""What every part of the demo generator shares: the clock, the random streams, numpy helpers.

Times are whole seconds since 2024-01-01 until they are written, and then
SQLAlchemy's SQLite datetime text (:func:`timestamps`). Each part of the data
draws from its own seeded generator (:func:`random_stream` with one of the ``S_*``
streams), so that changing one part does not shift the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Slots (contact events and monitoring-only rows) materialised at a time.
BLOCK = 50_000

EPOCH = np.datetime64("2024-01-01T00:00:00", "s")
SPAN_DAYS = 1035  # 2024-01-01 .. 2026-10-31
DAY = 86_400
FIXED_STREAM = 7_919  # seeds what must not depend on ``seed`` (agents, sample subjects)

# Random streams: each part of the data draws from its own generator, so that
# changing one part does not shift the others.
S_PEOPLE, S_EVENTS, S_BLOCK, S_DIRECTORY, S_OUTBOUND, S_AGENTS = range(1, 7)


def random_stream(seed: int, *stream: int) -> np.random.Generator:
    """The generator of one random stream (and sub-stream) of ``seed``."""
    return np.random.default_rng([int(seed), *stream])


def timestamps(seconds: np.ndarray | Sequence[int]) -> list[str]:
    """Seconds since 2024-01-01 as SQLAlchemy's SQLite datetime text.

    Examples
    --------
    >>> timestamps([0, 86_400 + 3_661])
    ['2024-01-01 00:00:00.000000', '2024-01-02 01:01:01.000000']
    """
    text = np.datetime_as_string(EPOCH + np.asarray(seconds, dtype=np.int64)
                                 .astype("timedelta64[s]"), unit="s")
    return [f"{s[:10]} {s[11:]}.000000" for s in text.tolist()]


def seconds(text: str) -> int:
    """Seconds since 2024-01-01 of ``YYYY-MM-DD HH:MM[:SS]``.

    Examples
    --------
    >>> seconds("2024-01-02 01:01:01")
    90061
    """
    value = np.datetime64(text.replace(" ", "T"), "s") - EPOCH
    return int(value.astype(np.int64))


def dated_path(timestamp: str, name: str) -> str:
    """Path of a file in a store: ``<year>/<month>/<name>`` of the row's ``timestamp``.

    Examples
    --------
    >>> dated_path("2025-03-04 10:00:00.000000", "17.wav")
    '2025/03/17.wav'
    """
    return f"{timestamp[:4]}/{timestamp[5:7]}/{name}"


def cap(rng: np.random.Generator, candidates: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of the ``candidates`` (chosen at random) stay True."""
    idx = np.flatnonzero(candidates)
    out = np.zeros(len(candidates), dtype=bool)
    out[rng.choice(idx, size=min(limit, len(idx)), replace=False) if len(idx) else idx] = True
    return out


def group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` restarting at every group of ``counts`` rows.

    Examples
    --------
    >>> group_cumsum(np.array([1, 2, 3, 4, 5]), np.array([2, 0, 3])).tolist()
    [1, 3, 3, 7, 12]
    """
    total = np.cumsum(values)
    starts = (np.cumsum(counts) - counts)[counts > 0]
    return total - np.repeat(total[starts] - values[starts], counts[counts > 0])
