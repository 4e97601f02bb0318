"""dpo-workbench: find, report and erase one person's data in a contact-centre installation.

The public API::

    import dpo_workbench as dw
    wb = dw.open_workbench("demo-install/workbench.yaml")
    result = wb.search(phone="+358 40 123 4567")
    result.contacts            # one pandas DataFrame per result group
"""

from __future__ import annotations

from .criteria import DEFAULT_DIGITS, Criteria
from .datamap import Datamap, Group, load_datamap
from .details import Details
from .errors import (
    ActionRefused,
    ConfigError,
    DatabaseError,
    DatamapError,
    InvalidCriteria,
    NotFound,
    WorkbenchError,
)
from .files import FileInfo
from .installation import Installation
from .query import QueryPlan
from .search import SearchResult
from .selection import RowRef, Selection
from .workbench import Workbench, open_workbench

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DIGITS",
    "ActionRefused",
    "ConfigError",
    "Criteria",
    "DatabaseError",
    "Datamap",
    "DatamapError",
    "Details",
    "FileInfo",
    "Group",
    "Installation",
    "InvalidCriteria",
    "NotFound",
    "QueryPlan",
    "RowRef",
    "SearchResult",
    "Selection",
    "Workbench",
    "WorkbenchError",
    "load_datamap",
    "open_workbench",
]
