"""How the workbench's objects show in JupyterLab: HTML (``_repr_html_``) and short reprs.

Pure functions from an object to text; the classes' ``_repr_html_`` and
``__repr__`` call them. Every value is escaped with :func:`html.escape`, so an
e-mail body holding ``<script>`` or ``<img onerror=...>`` shows as text and runs
nothing. No style sheet or script is loaded from anywhere: the tables take
JupyterLab's own styling and colours; the little styling here sets alignment,
line breaks and opacity, never a colour, so both the light and the dark theme read well.

The reprs are short and hold no personal data: counts, table names, keys and
tokens, never a searched or stored value (a notebook's plain-text output, a log
line or a traceback may show them).

>>> shown = table(["field", "value"], [["body", "<script>x</script>"]])
>>> "<script>" in shown, ">&lt;script&gt;x&lt;/script&gt;</td>" in shown
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .datamap import Group
from .frameforms import plan_steps, receipt_outcomes
from .values import plain

if TYPE_CHECKING:
    from .details import Details
    from .erasure.plan import ErasurePlan
    from .installation import Installation
    from .report.model import Report
    from .search import SearchResult

#: Rows shown of each table of a result (the frames hold them all).
ROWS_SHOWN = 10
#: Characters shown of a value in a table of rows; a details field shows up to TEXT_SHOWN.
CELL_SHOWN = 120
TEXT_SHOWN = 5000
_ROOT = '<div class="dpo-workbench">'
_MUTED = ' style="opacity:0.75"'
# JupyterLab aligns table cells right: text reads better left, numbers stay right.
_LEFT = ' style="text-align:left"'
_TEXT = ' style="text-align:left;white-space:pre-wrap;max-width:60em"'
_TIME = ' style="text-align:left;white-space:nowrap"'


# -- the pieces ---------------------------------------------------------------------------


def _escape(text: str, quote: bool = True) -> str:
    """:func:`html.escape`, imported with the first display (a command line never needs it)."""
    import html

    return html.escape(text, quote)

def text(value: Any, limit: int = CELL_SHOWN) -> str:
    """A value as escaped HTML text: empty when missing, times without a ``T``, cut at ``limit``.

    >>> text('<img src=x onerror="alert(1)">'), text(None), text(b"\\x00\\x01")
    ('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;', '', '(2 bytes)')
    """
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        s = f"({len(bytes(value))} bytes)"
    elif isinstance(value, datetime):
        s = value.isoformat(sep=" ")
    elif isinstance(value, date):
        s = value.isoformat()
    elif isinstance(value, list | tuple):
        s = ", ".join(str(v) for v in value)
    else:
        s = str(value)
    if len(s) > limit:
        s = f"{s[:limit]}… ({len(s) - limit} more characters)"
    return _escape(s, quote=True)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
          limit: int = CELL_SHOWN, free_text: Iterable[int] = ()) -> str:
    """An HTML table; every header and cell escaped; columns in ``free_text`` keep line breaks."""
    wrap = set(free_text)
    head = "".join(f"<th{_LEFT}>{_escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{_style(v, i in wrap)}>{text(v, limit)}</td>"
                         for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _style(value: Any, free_text: bool) -> str:
    """A cell's alignment: free text left with its line breaks, numbers right, times unbroken."""
    value = plain(value)
    if free_text:
        return _TEXT
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ""
    return _TIME if isinstance(value, date) else _LEFT


def heading(title: str, level: int = 3) -> str:
    """A heading (escaped)."""
    return f"<h{level}>{_escape(title)}</h{level}>"


def note(words: str) -> str:
    """A muted paragraph (escaped)."""
    return f"<p{_MUTED}>{_escape(words)}</p>"


def more(shown: int, total: int, where: str) -> str:
    """The line under a cut table: how many rows are not shown, and where they are."""
    return note(f"… {total - shown} more: {where}") if total > shown else ""


def page(*parts: str) -> str:
    """The parts in the workbench's one outer element."""
    return _ROOT + "".join(parts) + "</div>"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` and the word, in the plural unless ``n`` is one.

    >>> plural(1, "item"), plural(3, "item"), plural(2, "copy", "copies")
    ('1 item', '3 items', '2 copies')
    """
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def size_text(size: int | None) -> str:
    """A file's size for people, with the exact bytes.

    >>> size_text(14554), size_text(None)
    ('14.2 kB (14,554 bytes)', '')
    """
    if size is None:
        return ""
    for unit, step in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("kB", 1024)):
        if size >= step:
            return f"{size / step:.1f} {unit} ({size:,} bytes)"
    return plural(size, "byte")


def group_counts(counts: Mapping[str, int]) -> str:
    """Counts per group in one line.

    >>> group_counts({"contacts": 2, "consents": 0})
    'contacts 2, consents 0'
    """
    return ", ".join(f"{g} {n}" for g, n in counts.items())


def _title(group: Any) -> str:
    """A group's title (``Contacts``) for its name or enum."""
    try:
        return Group(str(getattr(group, "value", group))).title
    except ValueError:
        return str(group)


# -- the workbench ----------------------------------------------------------------------

class WorkbenchDisplay:
    """How a workbench shows: its name and user, and in Jupyter the installation it opened."""

    installation: Installation
    user: str

    def __repr__(self) -> str:
        return f"Workbench({self.installation.name!r}, user={self.user!r})"

    def _repr_html_(self) -> str:
        return workbench_html(self.installation, self.user)


def workbench_html(inst: Installation, user: str) -> str:
    """The installation as the workbench opened it: databases, tables per group, file stores.

    Whether a database answers is what opening found (it connected to every
    database and checked the datamap against its tables): showing it connects to
    nothing, since a server that is down would hold the notebook for its time-out.
    """
    dm = inst.datamap
    by_db = dm.tables_by_database()
    dbs = []
    for db in dict.fromkeys([*dm.databases, *inst.settings.databases]):
        engine = inst.engines.get(db)
        state = ("connected, tables checked" if inst.is_open(db) else
                 "not opened" if db in dm.databases else "not in the datamap")
        dbs.append([db, engine.dialect.name if engine is not None else "", state,
                    ", ".join(sorted(by_db.get(db, ())))])
    groups = [[g.title, ", ".join(s.location + (f" (copy of {s.copy_of})" if s.copy_of else "")
                                  for s in dm.in_group(g))] for g in Group]
    stores = [[name, str(folder), "yes" if folder.is_dir() else "no"]
              for name, folder in inst.stores.items()]
    return page(
        heading(f"Workbench: {inst.name}"),
        f"<p>acting user <b>{_escape(user)}</b>; settings "
        f"<code>{_escape(str(inst.settings.path))}</code></p>",
        heading("Databases", 4), table(["database", "engine", "state", "tables"], dbs),
        note("State as found when the workbench was opened (nothing is connected to show it)."),
        heading("Tables per result group", 4), table(["group", "tables"], groups),
        heading("File stores", 4), table(["store", "folder", "exists"], stores))


# -- a search result --------------------------------------------------------------------

#: The workbench's columns a result table shows, after the item and its shown columns.
_SHOWN_PROVENANCE = ("_matched", "_copies")


def search_repr(result: SearchResult) -> str:
    """The short repr of a search result: counts, no values.

    >>> search_repr(result)  # doctest: +ELLIPSIS
    'SearchResult(15 items: contacts 9, directory_entries 1, ..., consents 3; ... ms)'
    """
    return (f"SearchResult({plural(result.total, 'item')}: {group_counts(result.counts())}; "
            f"{result.elapsed * 1000:.0f} ms)")


def search_html(result: SearchResult) -> str:
    """Counts per group and per table, the notes, then each group's first rows."""
    parts = [heading(f"Search result: {plural(result.total, 'item')}")]
    if result.too_many:
        parts.append(f"<p><b>More than {result.too_many_threshold:,} items</b>: narrowing the "
                     "criteria (a shorter time span) is suggested; every item is here. No "
                     "identity hints are collected for so many items.</p>")
    parts.append(table(["group", "items"], [[_title(g), n] for g, n in
                                            result.counts().items()]))
    per_table: dict[tuple[str, str], list[Any]] = {}
    for g, records in result.records.items():
        for r in records:
            per_table.setdefault((r["_database"], r["_table"]), [g.title, 0, 0])[1] += 1
            for copy in r.get("_copies") or ():
                db, _, rest = str(copy).partition(".")
                per_table.setdefault((db, rest.rpartition("#")[0]), [g.title, 0, 0])[2] += 1
    parts += [heading("Per database and table", 4),
              table(["database", "table", "group", "items", "copies held"],
                    [[*k, *v] for k, v in per_table.items()])]
    if result.not_restricted_by_dates:
        parts.append(note("The date span did not restrict " +
                          ", ".join(result.not_restricted_by_dates) +
                          " (no time column): their items were found whatever their date."))
    if result.hints:
        parts += [heading("Other identifiers in the found items (suggestions, not searched)", 4),
                  table(["kind", "value", "seen in"],
                        [[h.kind, h.value, ", ".join(h.places)] for h in result.hints])]
    for g, records in result.records.items():
        columns = [c for c in result.dtypes[g] if not c.startswith("_")]
        rows = [[f"{r['_database']}.{r['_table']}#{r['_key']}", *(r.get(c) for c in columns),
                 *(r.get(c) for c in _SHOWN_PROVENANCE)] for r in records[:ROWS_SHOWN]]
        parts.append(heading(f"{g.title} ({len(records):,})", 4))
        if records:
            parts += [table(["item", *columns, "matched", "copies"], rows),
                      more(len(rows), len(records), f"result.{g.value}")]
    return page(*parts)


# -- one item's details -----------------------------------------------------------------

def details_repr(d: Details) -> str:
    """The short repr of an item's details: its reference and counts, no values."""
    child_rows = sum(len(_child_rows(d.children, n)) for n in d.children)
    return (f"Details({d.ref}, {d.group_title}: {plural(len(d.fields), 'field')}, "
            f"{plural(child_rows, 'child row')}, {plural(len(d.files), 'file')}, "
            f"{plural(len(d.copies), 'copy', 'copies')})")


def details_html(d: Details) -> str:
    """Fields (free text escaped, line breaks kept), lookups, child rows, files, copies."""
    parts = [heading(f"{d.group_title}: {d.ref}"),
             table(["field", "value"], list(d.fields.items()), limit=TEXT_SHOWN,
                   free_text=[1])]
    if d.lookups:
        parts += [heading("Looked up", 4),
                  table(["lookup", "field", "value"],
                        [[name, k, v] for name, values in d.lookups.items()
                         for k, v in values.items()])]
    empty = []
    for name in d.children:
        rows = _child_rows(d.children, name)
        if not rows:
            empty.append(name)
            continue
        columns = list(rows[0])
        parts += [heading(f"{name} ({plural(len(rows), 'row')})", 4),
                  table(columns, [[r.get(c) for c in columns] for r in rows[:ROWS_SHOWN]],
                        free_text=range(len(columns))),
                  more(ROWS_SHOWN, len(rows), f"details.children[{name!r}]")]
    if empty:
        parts.append(note("No rows in " + ", ".join(empty) + "."))
    if d.files:
        parts += [heading(f"Files ({len(d.files)})", 4),
                  table(["kind", "name", "size", "type", "store", "row", "state"],
                        [[f.kind, f.name, size_text(f.size), f.media_type, f.store,
                          f"{f.owner} {f.column}",
                          "available" if f.exists else (f.problem or "missing")]
                         for f in d.files]),
                  note("wb.read_file(details.files[i]) reads one (audit-logged).")]
    if d.copies:
        parts += [heading("Copies", 4), f"<p>{text(', '.join(map(str, d.copies)))}</p>"]
    return page(*parts)


def _child_rows(children: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """An item's child rows without building a frame when the details hold the rows."""
    rows = getattr(children, "rows", None)
    if rows is not None:
        return list(rows(name))
    return list(children[name].to_dict("records"))


# -- a report ---------------------------------------------------------------------------

def report_repr(report: Report) -> str:
    """The short repr of a report: counts, no values.

    >>> report_repr(report)  # doctest: +ELLIPSIS
    "Report('Demo contact centre', ...: 15 items: contacts 9, directory_entries 1, ...; 0 missing)"
    """
    return (f"Report({report.installation!r}, {report.created_at:%Y-%m-%d %H:%M}: "
            f"{plural(report.total, 'item')}: {group_counts(report.counts)}; "
            f"{report.missing_count} missing)")


def report_html(report: Report) -> str:
    """What the report holds: per group its items with their parts counted."""
    parts = [heading(f"Report: {plural(report.total, 'item')}"),
             f"<p>{_escape(report.installation)}, created "
             f"{text(report.created_at)}</p>"]
    if report.search:
        parts.append(note(report.search))
    if report.subject is not None:
        parts += [heading("The data subject's copy", 4),
                  table(["", ""], [[label, value] for _, label, value
                                   in report.subject.statement()], limit=TEXT_SHOWN)]
    parts.append(table(["group", "items", "deleted since the search"],
                       [[_title(g), n, len(report.missing.get(g, ()))]
                        for g, n in report.counts.items()]))
    parts += [heading("Where the data lives", 4),
              table(["table", "location", "group", "items found here", "copies held here"],
                    [[w.label, w.location, _title(w.group), w.items, w.copies]
                     for w in report.where()])]
    for g, items in report.groups.items():
        if not items:
            continue
        rows = [[report.labels.table(d.table_id), str(d.ref), len(d.fields),
                 ", ".join(report.labels.lookup(d.table_id, n) for n in d.lookups),
                 sum(len(_child_rows(d.children, n)) for n in d.children), len(d.files),
                 ", ".join(map(str, d.copies))] for d in items[:ROWS_SHOWN]]
        parts += [heading(f"{_title(g)} ({len(items):,})", 4),
                  table(["table", "item", "fields", "looked up", "child rows", "files",
                         "copies"], rows),
                  more(len(rows), len(items), f"report.groups[{g!r}]")]
    missing = [str(r) for refs in report.missing.values() for r in refs]
    if missing:
        parts.append(note("Deleted since the search: " + ", ".join(missing)))
    parts.append(note("report.to_frame() holds every value, one row each."))
    return page(*parts)


# -- an erasure plan ----------------------------------------------------------------------

def plan_repr(plan: ErasurePlan) -> str:
    """The short repr of an erasure plan: its token and counts.

    >>> plan_repr(wb.plan_erasure(result.refs("consents")))  # doctest: +ELLIPSIS
    'ErasurePlan(token ...: 3 items, 3 rows in 1 database, 0 files)'
    """
    dbs = len(dict.fromkeys(t.database for t in plan.targets))
    return (f"ErasurePlan(token {plan.token}: {plural(len(plan.items), 'item')}, "
            f"{plural(plan.total_rows, 'row')} in {plural(dbs, 'database')}, "
            f"{plural(len(plan.files), 'file')})")


def plan_html(plan: ErasurePlan) -> str:
    """Per database and table what happens (delete, or which columns are redacted or cleared)."""
    rows = [[s["table_label"] or s["table"], s["database"], s["table"], s["action"], s["rows"],
             s["columns_labelled"], s["files"]]
            for s in plan_steps(plan) if s["rows"] or s["files"]]
    parts = [heading(f"Erasure plan (dry run): {plural(len(plan.items), 'item')}, "
                     f"{plural(plan.total_rows, 'row')}, {plural(len(plan.files), 'file')}"),
             f"<p>token <code>{_escape(plan.token)}</code>: nothing has changed yet; "
             "<code>wb.erase(plan, plan.token)</code> executes it.</p>"]
    if not plan.targets:
        parts.append(note("Nothing to erase: no item is selected."))
    else:
        parts.append(table(["what", "database", "table", "action", "rows", "columns", "files"],
                           rows))
    if plan.excluded:
        parts.append(note(f"{plural(len(plan.excluded), 'found item')} left out (unselected)."))
    if plan.undated:
        parts.append(note("The date span did not restrict " + ", ".join(plan.undated) +
                          " (no time column): their items were found whatever their date."))
    return page(*parts)


# -- an erasure receipt -------------------------------------------------------------------

def receipt_repr(receipt: Mapping[str, Any]) -> str:
    """The short repr of an erasure receipt: run, token, outcome and counts."""
    rows = sum(n for tables in receipt["rows"].values() for counts in tables.values()
               for n in counts.values())
    return (f"Receipt(run {receipt['run_id']}, token {receipt['token']}: "
            f"{'verified' if receipt['verified'] else 'NOT verified'}, "
            f"{plural(receipt['items'], 'item')}, {plural(rows, 'row')}, "
            f"{receipt['files']['deleted']} files deleted, "
            f"{plural(len(receipt['problems']), 'problem')})")


def receipt_html(receipt: Mapping[str, Any]) -> str:
    """The outcome per table and for the files, the checks, notes and problems."""
    verified = receipt["verified"]
    head = receipt.get("audit_head") or {}
    parts = [heading(f"Erasure {'verified' if verified else 'NOT verified'}: run "
                     f"{receipt['run_id']}"),
             f"<p>token <code>{_escape(str(receipt['token']))}</code>, by "
             f"{text(receipt['user'])}, started {text(receipt['started_at'])}, verified "
             f"{text(receipt['verified_at'])}; {plural(receipt['items'], 'item')}</p>",
             _outcomes_table(receipt_outcomes(receipt))]
    for title, lines in (("Problems", receipt["problems"]), ("Notes", receipt.get("notes", [])),
                         ("Checks", receipt["checks"])):
        if lines:
            parts += [heading(title, 4),
                      "<ul>" + "".join(f"<li>{text(x, TEXT_SHOWN)}</li>" for x in lines) + "</ul>"]
    if head:
        parts.append(note(f"Audit log head: event {head.get('id')}, hash "
                          f"{str(head.get('hash', ''))[:16]}…"))
    return page(*parts)


def _outcomes_table(outcomes: Sequence[Mapping[str, Any]]) -> str:
    """The receipt's outcomes; the columns of files not removed only when there are some."""
    columns = ["kind", "table_label", "database", "table", "outcome", "count"]
    if any(o["owner"] for o in outcomes):
        columns += ["owner", "why"]
    return table([c.replace("table_label", "what") for c in columns],
                 [[o[c] for c in columns] for o in outcomes])
