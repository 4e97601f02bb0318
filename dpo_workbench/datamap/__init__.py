"""The datamap: which tables hold personal data, and how to find and erase them.

A datamap is a YAML file (``docs/datamap.md`` documents every key, with the demo
installation's datamap as the worked example).

- :mod:`.model`: the datamap as frozen dataclasses (:class:`Datamap`,
  :class:`TableSpec`...) and the result groups;
- :mod:`.load`: the file as typed YAML (:func:`load_datamap`), checked for its
  own consistency, every problem reported at once;
- :mod:`.check`: the datamap against the reflected live schema
  (:func:`check_against_schema`).

Every problem names the file, the table and the column and says how to fix it.
"""

from __future__ import annotations

from .check import check_against_schema
from .load import DatamapFile, load_datamap, parse_datamap
from .model import (
    FILE_KINDS,
    ChildSpec,
    Datamap,
    EraseSpec,
    FileSpec,
    Group,
    Lookup,
    NameColumns,
    TableSpec,
)

__all__ = [
    "FILE_KINDS",
    "ChildSpec",
    "Datamap",
    "DatamapFile",
    "EraseSpec",
    "FileSpec",
    "Group",
    "Lookup",
    "NameColumns",
    "TableSpec",
    "check_against_schema",
    "load_datamap",
    "parse_datamap",
]
