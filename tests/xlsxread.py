"""Read an XLSX file back from its XML, as Excel would see it: typed cells, and formulas.

The tests inspect the XML itself (no spreadsheet library needed), so they see
exactly what Excel will: a string cell (``t="s"``, ``t="inlineStr"``, ``t="str"``),
a number, a boolean, a date (a number whose style has a date format) and any
``<f>`` (formula) element.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_EPOCH = datetime(1899, 12, 30)
_BUILTIN_DATE_FORMATS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}


@dataclass(frozen=True)
class Cell:
    kind: str  # "string", "number", "bool", "date"
    value: Any
    formula: bool = False


@dataclass
class Workbook:
    sheets: dict[str, list[list[Cell | None]]]  # name -> rows (None: an empty cell)
    formulas: int  # <f> elements anywhere
    properties: str  # docProps/core.xml

    def values(self, sheet: str) -> list[list[Any]]:
        """The sheet's values, None for empty cells."""
        return [[c.value if c else None for c in row] for row in self.sheets[sheet]]

    def records(self, sheet: str) -> list[dict[str, Cell | None]]:
        """Rows after the header as dicts by header text."""
        header, *rows = self.sheets[sheet]
        names = [c.value if c else "" for c in header]
        return [dict(zip(names, row + [None] * (len(names) - len(row)), strict=True))
                for row in rows]


def _column(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):  # type: ignore[union-attr]
        n = n * 26 + ord(ch) - 64
    return n - 1


def _unescape(text: str) -> str:
    """OOXML's ``_xHHHH_`` escapes of control characters (``_x000D_`` is a CR)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _text(node: ET.Element) -> str:
    return _unescape("".join(t.text or "" for t in node.iter(f"{{{NS['m']}}}t")))


def read_xlsx(data: bytes) -> Workbook:
    """The workbook in ``data``, sheet by sheet."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = {r.get("Id"): r.get("Target")
            for r in ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))}
    shared = []
    if "xl/sharedStrings.xml" in zf.namelist():
        shared = [_text(si) for si in ET.fromstring(zf.read("xl/sharedStrings.xml"))]
    styles = ET.fromstring(zf.read("xl/styles.xml"))
    custom = {int(f.get("numFmtId")): f.get("formatCode")
              for f in styles.iterfind("m:numFmts/m:numFmt", NS)}
    dated = []
    for xf in styles.iterfind("m:cellXfs/m:xf", NS):
        fid = int(xf.get("numFmtId", "0"))
        code = custom.get(fid, "")
        dated.append(fid in _BUILTIN_DATE_FORMATS or bool(re.search(r"[ymdhs]", code)))
    sheets: dict[str, list[list[Cell | None]]] = {}
    formulas = 0
    for sheet in book.iterfind("m:sheets/m:sheet", NS):
        target = rels[sheet.get(f"{{{NS['r']}}}id")]
        xml = ET.fromstring(zf.read("xl/" + target.removeprefix("/xl/")))
        rows: list[list[Cell | None]] = []
        for row in xml.iterfind("m:sheetData/m:row", NS):
            index = int(row.get("r")) - 1
            rows += [[] for _ in range(index + 1 - len(rows))]
            cells: list[Cell | None] = []
            for c in row.iterfind("m:c", NS):
                col = _column(c.get("r"))
                cells += [None] * (col - len(cells))
                has_formula = c.find("m:f", NS) is not None
                formulas += has_formula
                t, v = c.get("t"), c.find("m:v", NS)
                if t == "s":
                    cell = Cell("string", shared[int(v.text)], has_formula)
                elif t in ("inlineStr", "str"):
                    cell = Cell("string", _text(c) if t == "inlineStr" else _unescape(v.text),
                                has_formula)
                elif t == "b":
                    cell = Cell("bool", v.text == "1", has_formula)
                elif v is None:
                    cell = None
                elif dated[int(c.get("s", "0"))]:
                    seconds = round(float(v.text) * 86400)  # to the second, as written
                    cell = Cell("date", _EPOCH + timedelta(seconds=seconds), has_formula)
                else:
                    number = float(v.text)
                    cell = Cell("number", int(number) if number.is_integer() else number,
                                has_formula)
                cells.append(cell)
            rows[index] = cells
        sheets[sheet.get("name")] = rows
    return Workbook(sheets, formulas, zf.read("docProps/core.xml").decode("utf-8"))
