"""Run the notebooks on a fresh default demo and save their outputs (for nbval).

Run it after a change of the library's wording (``explain``, ``describe``, reports)::

    .venv/bin/python notebooks/regenerate.py

It builds the default demo installation (20,000 events, seed 42) in a temporary
folder, executes ``analyst_tour.ipynb`` and ``dpo_dashboard.ipynb`` with
``DPO_WORKBENCH_CONFIG`` pointing at it, and writes them back without widget state
or execution metadata. ``tests/test_notebooks.py`` then compares against these
outputs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = ("analyst_tour.ipynb", "dpo_dashboard.ipynb")


def regenerate(names: tuple[str, ...] = NOTEBOOKS) -> None:
    """Execute ``names`` (in this folder) on a fresh default demo and save them."""
    import nbformat
    from nbclient import NotebookClient

    import dpo_workbench as dw
    from dpo_workbench.demo.build import build_demo

    with tempfile.TemporaryDirectory(prefix="dpo-notebooks-") as tmp:
        settings = build_demo(Path(tmp) / "demo-install")
        with dw.open_workbench(settings) as wb:
            wb.create_indexes()
        os.environ["DPO_WORKBENCH_CONFIG"] = str(settings)
        for name in names:
            path = HERE / name
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(HERE)}}).execute()
            nb.metadata.pop("widgets", None)  # widget state: large, and changes every run
            for cell in nb.cells:
                cell.metadata.pop("execution", None)
            nbformat.write(nb, path)
            print(f"wrote {path}")


if __name__ == "__main__":
    regenerate(tuple(sys.argv[1:]) or NOTEBOOKS)
