"""Write the JSON Schemas of the settings file and the datamap for editors.

Run ``python docs/schema/regenerate.py`` after changing a section of either file;
a test fails while the committed schemas differ from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from dpo_workbench.datamap.load import DatamapFile
from dpo_workbench.settings import SettingsFile

HERE = Path(__file__).resolve().parent
SCHEMAS = {"settings.schema.json": (SettingsFile, "dpo-workbench settings file"),
           "datamap.schema.json": (DatamapFile, "dpo-workbench datamap")}


def schema(model: type[Any], title: str) -> str:
    """The JSON Schema of a typed YAML model, as committed."""
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
           **msgspec.json.schema(model)}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def main() -> None:
    for name, (model, title) in SCHEMAS.items():
        (HERE / name).write_text(schema(model, title), encoding="utf-8")


if __name__ == "__main__":
    main()
