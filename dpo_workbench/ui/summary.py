"""Where the person's data lives: items per group and rows per table, as bars.

Drawn as escaped HTML (a CSS grid of labels, bars and numbers), read at a glance on
the results page. Each table counts the rows that hold a found item: the item's own
row, and each copy of it in another (monitoring) database.
"""

from __future__ import annotations

from ..datamap import Group
from ..search import SearchResult
from ..selection import RowRef
from .common import esc
from .labels import Labels


def where_counts(result: SearchResult) -> tuple[dict[Group, int], dict[tuple[str, str], int]]:
    """Items per group, and rows holding them per ``(database, table)``."""
    groups = {g: len(result.records.get(g, ())) for g in Group}
    tables: dict[tuple[str, str], int] = {}
    for g in Group:
        for record in result.records.get(g, ()):
            place = (str(record["_database"]), str(record["_table"]))
            tables[place] = tables.get(place, 0) + 1
            for copy in record.get("_copies") or ():
                ref = RowRef.parse(copy) if isinstance(copy, str) else copy
                place = (ref.database, ref.table)
                tables[place] = tables.get(place, 0) + 1
    return groups, tables


def _bars(rows: list[tuple[str, str, int]], css: str) -> str:
    top = max((n for _, _, n in rows), default=0) or 1
    out = []
    for label, detail, n in rows:
        width = 0 if n == 0 else max(1.0, 100.0 * n / top)
        detail_html = f' <span class="dpo-tech">{esc(detail)}</span>' if detail else ""
        out.append(f'<div class="dpo-bar-label">{esc(label)}{detail_html}</div>'
                   f'<div class="dpo-bar-track"><div class="dpo-bar" '
                   f'style="width: {width:.1f}%"></div></div>'
                   f'<div class="dpo-bar-count">{n:,}</div>')
    return f'<div class="dpo-bars {css}">{"".join(out)}</div>'


def where_html(result: SearchResult, labels: Labels | None, technical: bool) -> str:
    """The chart: one bar per group, one per table (largest first)."""
    groups, tables = where_counts(result)
    group_rows = [(g.title, g.value if technical else "", n) for g, n in groups.items()]
    table_rows: list[tuple[str, str, int]] = []
    for (database, table), n in sorted(tables.items(), key=lambda kv: (-kv[1], kv[0])):
        label = labels.table(database, table) if labels is not None else f"{database}.{table}"
        table_rows.append((label, f"{database}.{table}" if technical else "", n))
    return ('<div class="dpo-where-chart"><h4>Where the data lives</h4>'
            '<div class="dpo-where-parts"><div class="dpo-where-part">'
            '<div class="dpo-where-title">Items per group</div>'
            f'{_bars(group_rows, "dpo-bars-groups")}</div>'
            '<div class="dpo-where-part"><div class="dpo-where-title">Rows per table '
            '(items and their copies)</div>'
            f'{_bars(table_rows, "dpo-bars-tables")}</div></div></div>')

