"""Everything the installation holds about one found item, read on demand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .datamap import ChildSpec, FileSpec
from .selection import RowRef

HIDDEN_PREFIX = "dpo_"  # the workbench's own MariaDB key columns


@dataclass(frozen=True)
class FileInfo:
    """A file that belongs to a row (a recording, an attachment, a photo)."""

    owner: RowRef  # the row holding the file's path
    column: str
    store: str
    kind: str  # audio, image, attachment
    relative_path: str
    name: str
    size: int | None
    path: Path | None  # None when the stored path points outside the store
    exists: bool
    problem: str = ""

    @property
    def media_type(self) -> str:
        import mimetypes

        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Details:
    """All fields of an item, its lookups, child rows, files and copies."""

    ref: RowRef
    table_id: str
    group_title: str
    fields: Mapping[str, Any]
    lookups: Mapping[str, Mapping[str, Any]]
    children: Mapping[str, pd.DataFrame]
    files: tuple[FileInfo, ...]
    copies: tuple[RowRef, ...] = field(default_factory=tuple)

    def as_text(self) -> str:
        """A plain-text rendering (used by the command line)."""
        lines = [f"{self.group_title}: {self.ref}"]
        lines += [f"  {k}: {v}" for k, v in self.fields.items()]
        for name, values in self.lookups.items():
            lines.append(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
        for name, df in self.children.items():
            lines.append(f"  {name}: {len(df)} row(s)")
        for f in self.files:
            state = "" if f.exists else f" ({f.problem or 'missing'})"
            lines.append(f"  file {f.kind}: {f.name} {f.size or 0} bytes{state}")
        if self.copies:
            lines.append("  copies: " + ", ".join(str(c) for c in self.copies))
        return "\n".join(lines)


def resolve_file(root: Path | None, relative: str) -> tuple[Path | None, str]:
    """The absolute path of a stored file path, refusing paths outside the store."""
    if root is None:
        return None, "its file store is not configured"
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        return None, "its stored path points outside the file store"
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None, "its stored path points outside the file store"
    return path, ""


def file_infos(owner: RowRef, row: Mapping[str, Any], specs: tuple[FileSpec, ...],
               stores: Mapping[str, Path]) -> list[FileInfo]:
    """The files a row refers to (columns holding a path)."""
    out = []
    for spec in specs:
        rel = row.get(spec.column)
        if not rel:
            continue
        path, problem = resolve_file(stores.get(spec.store), str(rel))
        exists = bool(path and path.is_file())
        name = str(row.get(spec.name_column) or "") if spec.name_column else ""
        size = row.get(spec.size_column) if spec.size_column else None
        if exists and size is None:
            size = path.stat().st_size  # type: ignore[union-attr]
        if not problem and not exists:
            problem = "the file is missing from its store"
        out.append(FileInfo(owner=owner, column=spec.column, store=spec.store, kind=spec.kind,
                            relative_path=str(rel), name=name or Path(str(rel)).name,
                            size=int(size) if size is not None else None, path=path,
                            exists=exists, problem=problem))
    return out


def visible(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row without the workbench's own key columns."""
    return {k: v for k, v in row.items() if not k.startswith(HIDDEN_PREFIX)}


def child_frame(spec: ChildSpec, rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = list(dict.fromkeys([spec.key, *spec.show]))
    return pd.DataFrame.from_records([{c: r.get(c) for c in cols} for r in rows], columns=cols)
