"""Write the JSON Schemas of the settings file and the datamap for editors, and of the
command line's ``--format json`` documents for scripts.

Run ``python docs/schema/regenerate.py`` after changing a section of either file or a
document of :mod:`dpo_workbench.cli.documents`; a test fails while the committed
schemas differ from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from dpo_workbench.cli.documents import COMMAND_DOCUMENTS
from dpo_workbench.datamap.load import DatamapFile
from dpo_workbench.settings import SettingsFile

HERE = Path(__file__).resolve().parent
SCHEMAS: dict[str, tuple[Any, str]] = {
    "settings.schema.json": (SettingsFile, "dpo-workbench settings file"),
    "datamap.schema.json": (DatamapFile, "dpo-workbench datamap"),
    "cli-output.schema.json": (COMMAND_DOCUMENTS,
                               "dpo-workbench command line: the --format json documents"),
}


def schema(model: Any, title: str) -> str:
    """The JSON Schema of a typed YAML model, or of (command, document) pairs, as committed."""
    doc: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                           "title": title}
    if isinstance(model, tuple):
        # One document per command: anyOf them, each titled with its command.
        refs, defs = msgspec.json.schema_components([t for _, t in model],
                                                    ref_template="#/$defs/{name}")
        doc["anyOf"] = [{"title": f"dpo-workbench {command} --format json", **ref}
                        for (command, _), ref in zip(model, refs, strict=True)]
        doc["$defs"] = defs
    else:
        doc.update(msgspec.json.schema(model))
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def main() -> None:
    for name, (model, title) in SCHEMAS.items():
        (HERE / name).write_text(schema(model, title), encoding="utf-8")


if __name__ == "__main__":
    main()
