"""``python -m dpo_workbench.cli``: the same as ``dpo-workbench``."""

import sys

from . import main

sys.exit(main())
