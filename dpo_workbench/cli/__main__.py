"""``python -m dpo_workbench.cli``: the same as ``dpo-workbench``."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
