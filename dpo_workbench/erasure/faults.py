"""Named points of an erasure where a test can kill the process (fault injection).

The test suite sets ``DPO_WORKBENCH_KILL_AT`` to a point's name in a child process
and checks that a later resume ends with the person's data gone, everyone else's
data unchanged, one receipt and a complete audit story. Outside tests the
variable is unset and a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

#: The environment variable naming the point where the process kills itself.
KILL_AT = "DPO_WORKBENCH_KILL_AT"


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL when ``$DPO_WORKBENCH_KILL_AT`` names this point."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
