"""dpo-workbench: find, report and erase one person's data in a contact-centre installation.

The public API::

    import dpo_workbench as dw
    wb = dw.open_workbench("demo-install/workbench.yaml")
    result = wb.search(phone="+358 40 123 4567")
    result.contacts            # one pandas DataFrame per result group

The names below are imported when first used, so that a command that needs
neither pandas nor the dashboard does not load them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "DEFAULT_DIGITS": "criteria",
    "Criteria": "criteria",
    "Datamap": "datamap",
    "Group": "datamap",
    "load_datamap": "datamap",
    "Details": "details",
    "FileInfo": "files",
    "Installation": "installation",
    "QueryPlan": "query",
    "SearchResult": "search",
    "RowRef": "selection",
    "Selection": "selection",
    "Workbench": "workbench",
    "open_workbench": "workbench",
    "ActionRefused": "errors",
    "ConfigError": "errors",
    "ConfirmationError": "errors",
    "DatabaseError": "errors",
    "DatamapError": "errors",
    "ErasureIncomplete": "errors",
    "ErasureStopped": "errors",
    "InvalidCriteria": "errors",
    "NotFound": "errors",
    "UsageError": "errors",
    "WorkbenchError": "errors",
}

__all__ = [
    "ActionRefused",
    "ConfigError",
    "ConfirmationError",
    "Criteria",
    "DEFAULT_DIGITS",
    "DatabaseError",
    "Datamap",
    "DatamapError",
    "Details",
    "ErasureIncomplete",
    "ErasureStopped",
    "FileInfo",
    "Group",
    "Installation",
    "InvalidCriteria",
    "NotFound",
    "QueryPlan",
    "RowRef",
    "SearchResult",
    "Selection",
    "UsageError",
    "Workbench",
    "WorkbenchError",
    "load_datamap",
    "open_workbench",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'dpo_workbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


if TYPE_CHECKING:
    from .criteria import DEFAULT_DIGITS, Criteria
    from .datamap import Datamap, Group, load_datamap
    from .details import Details
    from .errors import (
        ActionRefused,
        ConfigError,
        ConfirmationError,
        DatabaseError,
        DatamapError,
        ErasureIncomplete,
        ErasureStopped,
        InvalidCriteria,
        NotFound,
        UsageError,
        WorkbenchError,
    )
    from .files import FileInfo
    from .installation import Installation
    from .query import QueryPlan
    from .search import SearchResult
    from .selection import RowRef, Selection
    from .workbench import Workbench, open_workbench
