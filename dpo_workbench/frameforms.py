"""The DataFrame forms of a report, an erasure plan and an erasure receipt (``to_frame()``).

Each has fixed columns and dtypes (as :mod:`dpo_workbench.frames` gives the
search groups), so an empty one has the same columns as a full one and two
concatenate cleanly:

- a report: one row per reported value (:data:`REPORT_COLUMNS`), as the CSV's
  long form but with the values as the databases gave them (times as times);
- a plan: one row per table step (:data:`PLAN_COLUMNS`);
- a receipt: one row per table outcome and per file outcome (:data:`RECEIPT_COLUMNS`).

The object's own facts (installation, token, run) are in the frame's ``attrs``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .datamap.model import humanize
from .frames import typed_frame

if TYPE_CHECKING:
    import pandas as pd

    from .details import Details
    from .erasure.plan import ErasurePlan
    from .report.labels import ReportLabels
    from .report.model import Report

#: A report's frame: where each value comes from, and the value.
REPORT_COLUMNS: Mapping[str, Any] = {
    "group": "string",  # the result group's name ("contacts")
    "item": "string",  # "database.table#key" of the reported item
    "database": "string",
    "table": "string",
    "key": object,  # Int64 or string when every item's key is one
    "part": "string",  # record, lookup, child, file, copy, missing
    "part_name": "string",  # the lookup's or child table's name
    "part_row": "Int64",  # the child row's, file's or copy's number, from 1
    "field": "string",
    "value": object,  # as the database gave it: a time stays a time, a number a number
    "table_label": "string",  # the datamap's label of the item's table ("Contact")
    "part_label": "string",  # of the part: the table's, lookup's or child table's label
    "field_label": "string",  # the field's label ("Phone number")
}
#: A plan's frame: one row per table and action.
PLAN_COLUMNS: Mapping[str, Any] = {
    "database": "string",
    "table": "string",
    "step": "string",  # the datamap's name of the step ("contact_events.call_data")
    "action": "string",  # delete, anonymize, or "files only"
    "rows": "Int64",
    "columns": "string",  # anonymize: the columns per strategy ("redact: a, b; clear: c")
    "files": "Int64",  # files the table's rows name, deleted after the rows
    "child": "boolean",  # the rows are child rows of an item's row
    "table_label": "string",  # the datamap's label of the table ("Chat transcript")
    "columns_labelled": "string",  # "columns" as a DPO reads them ("redact: Note (note_text)")
}
#: A receipt's frame: one row per table outcome and per file outcome.
RECEIPT_COLUMNS: Mapping[str, Any] = {
    "kind": "string",  # rows or files
    "database": "string",
    "table": "string",
    "outcome": "string",  # deleted, anonymized, already missing, not removed...
    "count": "Int64",
    "owner": "string",  # a file not removed: the row naming it ("db.table#key column")
    "why": "string",
    "table_label": "string",  # the datamap's label of the table ("Contact")
}


def report_frame(report: Report) -> pd.DataFrame:
    """Every value of a report, one row each (see :data:`REPORT_COLUMNS`).

    >>> df = report.to_frame()
    >>> df[df.part == "record"].iloc[0][["group", "part", "field"]].tolist()
    ['contacts', 'record', 'id']
    >>> df.attrs["installation"], df["part_row"].dtype
    ('Demo contact centre', Int64Dtype())
    """
    records = [dict(zip(REPORT_COLUMNS, row, strict=True)) for row in _report_rows(report)]
    keys = {type(r["key"]) for r in records}
    dtypes = dict(REPORT_COLUMNS)
    dtypes["key"] = "Int64" if keys == {int} else "string" if keys == {str} else object
    frame = typed_frame(records, dtypes)
    frame.attrs.update(installation=report.installation, created_at=report.created_at,
                       search=report.search, subject_copy=report.subject is not None)
    return frame


def _report_rows(report: Report) -> Iterator[tuple[Any, ...]]:
    labels = report.labels
    for group, items in report.groups.items():
        for d in items:
            yield from _item_rows(group, d, labels)
        for ref in report.missing.get(group, ()):
            where = labels.location(ref.database, ref.table)
            yield (group, str(ref), ref.database, ref.table, ref.key, "missing", None, None,
                   "status", "no longer exists (deleted after the search)", where, where,
                   "Status")


def _item_rows(group: str, d: Details, labels: ReportLabels) -> Iterator[tuple[Any, ...]]:
    """One item's values: its fields, lookups, child rows, files and copies, labelled."""
    ref, tid = d.ref, d.table_id
    table = labels.table(tid)
    start = (group, str(ref), ref.database, ref.table, ref.key)
    for field, value in d.fields.items():
        yield *start, "record", None, None, field, value, table, table, labels.column(tid, field)
    for name, values in d.lookups.items():
        part = labels.lookup(tid, name)
        for field, value in values.items():
            yield (*start, "lookup", name, None, field, value, table, part,
                   labels.lookup_column(tid, name, field))
    rows = getattr(d.children, "rows", None)
    for name in d.children:
        children = rows(name) if rows else d.children[name].to_dict("records")
        part = labels.child(tid, name)
        for i, child in enumerate(children, start=1):
            for field, value in child.items():
                yield (*start, "child", name, i, field, value, table, part,
                       labels.child_column(tid, name, field))
    for i, f in enumerate(d.files, start=1):
        for field, value in (("name", f.name), ("kind", f.kind), ("size", f.size),
                             ("type", f.media_type), ("store", f.store),
                             ("path", f.relative_path), ("owner", f"{f.owner} {f.column}"),
                             ("status", "available" if f.exists else f.problem or "missing")):
            yield *start, "file", None, i, field, value, table, "File", humanize(field)
    for i, copy in enumerate(d.copies, start=1):
        yield (*start, "copy", None, i, "item", str(copy), table, "Copy",
               labels.location(copy.database, copy.table))


def plan_steps(plan: ErasurePlan) -> list[dict[str, Any]]:
    """The plan's table steps as rows of :data:`PLAN_COLUMNS` (plain values)."""
    files: dict[tuple[str, str], int] = {}
    for f in plan.files:
        files[(f.database, f.table)] = files.get((f.database, f.table), 0) + 1
    steps = [{"database": t.database, "table": t.table, "step": t.label,
              "action": t.action.value, "rows": t.rows,
              "columns": strategies_text(t.columns) or None,
              "files": files.pop((t.database, t.table), 0), "child": t.is_child,
              "table_label": t.title or None,
              "columns_labelled": strategies_text({t.column_named(c): s
                                                   for c, s in t.columns.items()}) or None}
             for t in plan.targets]
    return steps + [{"database": db, "table": table, "step": None, "action": "files only",
                     "rows": 0, "columns": None, "files": n, "child": None,
                     "table_label": None, "columns_labelled": None}
                    for (db, table), n in files.items()]


def strategies_text(columns: Mapping[str, str]) -> str:
    """The columns an anonymizing step changes, by strategy.

    >>> strategies_text({"body": "redact", "subject": "redact", "recording": "clear"})
    'redact: body, subject; clear: recording'
    """
    by: dict[str, list[str]] = {}
    for column, name in columns.items():
        by.setdefault(name, []).append(column)
    return "; ".join(f"{name}: {', '.join(cols)}" for name, cols in by.items())


def plan_frame(plan: ErasurePlan) -> pd.DataFrame:
    """One row per table step of an erasure plan (see :data:`PLAN_COLUMNS`).

    >>> df = wb.plan_erasure(result.refs("consents")).to_frame()
    >>> df[["database", "table", "action", "rows", "files"]]
        database              table  action  rows  files
    0  operative  customer_consents  delete     3      0
    """
    frame = typed_frame(plan_steps(plan), PLAN_COLUMNS)
    frame.attrs.update(token=plan.token, items=len(plan.items))
    return frame


def receipt_outcomes(receipt: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The receipt's outcomes as rows of :data:`RECEIPT_COLUMNS` (plain values)."""
    titles = receipt.get("table_labels") or {}
    out: list[dict[str, Any]] = [
        {"kind": "rows", "database": db, "table": table, "outcome": what.replace("_", " "),
         "count": n, "owner": None, "why": None,
         "table_label": titles.get(db, {}).get(table)}
        for db, tables in receipt["rows"].items() for table, counts in tables.items()
        for what, n in counts.items()]
    files = receipt["files"]
    for outcome, n in (("deleted", files["deleted"]),
                       ("already missing", files["already_missing"])):
        out.append({"kind": "files", "database": None, "table": None, "outcome": outcome,
                    "count": n, "owner": None, "why": None, "table_label": None})
    for f in files.get("not_removed", []):
        db, _, rest = str(f["owner"]).partition(".")
        table = rest.partition("#")[0]
        out.append({"kind": "files", "database": db, "table": table,
                    "outcome": f"not removed: {f['status']}", "count": 1,
                    "owner": f["owner"], "why": f["why"],
                    "table_label": titles.get(db, {}).get(table)})
    return out


def receipt_frame(receipt: Mapping[str, Any]) -> pd.DataFrame:
    """One row per table outcome and per file outcome of a receipt (:data:`RECEIPT_COLUMNS`)."""
    frame = typed_frame(receipt_outcomes(receipt), RECEIPT_COLUMNS)
    frame.attrs.update(run_id=receipt["run_id"], token=receipt["token"],
                       verified=receipt["verified"])
    return frame
