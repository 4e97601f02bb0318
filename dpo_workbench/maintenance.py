"""The workbench's index maintenance methods (mixed into the Workbench).

Definitions, status, creation, statistics and removal of the indexes that make
search fast (:mod:`dpo_workbench.indexes`, imported when a method runs).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import indexes
    from .installation import Installation
    from .progress import Progress


class IndexMethods:
    """Index maintenance for a class that has the installation."""

    installation: Installation

    def index_definitions(self) -> list[indexes.IndexDef]:
        """Every index that makes the datamap's matches fast, in each engine's DDL."""
        from . import indexes

        return indexes.definitions(self.installation)

    def obsolete_indexes(self) -> list[indexes.ObsoleteIndex]:
        """The workbench's indexes of older match rules (``create_indexes`` drops them)."""
        from . import indexes

        return indexes.obsolete(self.installation)

    def index_status(self) -> list[indexes.IndexStatus]:
        """The indexes and whether each exists in its database now."""
        from . import indexes

        return indexes.status(self.installation)

    def create_indexes(self, progress: Progress | None = None,
                       ) -> list[tuple[indexes.IndexDef, float]]:
        """Create the missing indexes; return each created one with its build time (s).

        ``progress(message, done, total)`` is called as each index is started.
        """
        from . import indexes

        return indexes.create(self.installation, progress=progress)

    def analyze(self, tables: Iterable[tuple[str, str]] | None = None) -> None:
        """Refresh the planner statistics of (database, table) pairs (default: all searched)."""
        from . import indexes

        indexes.analyze(self.installation, tables)

    def cache_shortfalls(self) -> list[indexes.CacheShortfall]:
        """The MariaDB servers whose buffer pool is smaller than the tables searched there."""
        from . import indexes

        return indexes.cache_shortfalls(self.installation)

    def drop_indexes(self) -> int:
        """Remove the workbench's indexes (and MariaDB key columns); return how many."""
        from . import indexes

        return indexes.drop(self.installation)
