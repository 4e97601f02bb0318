"""Progress of long work: one callback type for every step.

A step that takes time (a search over many databases, a report of many items,
an erasure) accepts ``progress(message, done, total)`` and calls it as it goes;
messages name databases and tables, never personal data.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(message, done, total)``.
Progress = Callable[[str, int, int], None]
