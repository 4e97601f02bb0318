"""``python -m dpo_workbench.cli``: the same as ``dpo-workbench``."""

from ..console import run

if __name__ == "__main__":
    run()
