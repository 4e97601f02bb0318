"""The web server's kernels (dpo_workbench.web.kernels), without starting a server."""

from __future__ import annotations

import asyncio
from queue import Empty
from typing import Any

from dpo_workbench.web.kernels import DpoKernelManager, ReadyClient


class FakeShell:
    """A shell channel whose kernel answers ``kernel_info_request`` at once, publishing
    its busy and idle status on ``iopub``."""

    def __init__(self, iopub: FakeIOPub):
        self.iopub = iopub
        self.replies: list[dict[str, Any]] = []

    def send(self, msg: dict[str, Any]) -> None:
        parent = {"msg_id": msg["header"]["msg_id"]}
        self.replies.append({"msg_type": "kernel_info_reply", "parent_header": parent,
                             "content": {"protocol_version": "5.3", "status": "ok"}})
        for state in ("busy", "idle"):
            self.iopub.queue.append({"msg_type": "status", "parent_header": parent,
                                     "content": {"execution_state": state}})

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        if not self.replies:
            raise Empty
        return self.replies.pop(0)


class FakeIOPub:
    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.waited_in_silence = 0  # reads that found nothing and waited out their timeout

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        if not self.queue:
            self.waited_in_silence += 1
            raise Empty
        return self.queue.pop(0)


def fake_client() -> tuple[Any, FakeShell, FakeIOPub]:
    """A client of the web server's kernel manager, on fake channels of a live kernel."""
    client = DpoKernelManager().kernel_manager_factory(kernel_name="python3").client()
    iopub = FakeIOPub()
    shell = FakeShell(iopub)

    async def alive() -> bool:
        return True

    client._async_is_alive = alive
    client._iopub_channel = iopub
    client._shell_channel = shell
    return client, shell, iopub


def test_a_kernel_client_is_ready_when_the_kernel_has_answered_it_in_full() -> None:
    """Voila waits for the client of a session's kernel before the notebook runs: it is
    ready at the idle status of its kernel_info request, not after IOPub has been
    silent for a while (0.2 s of every log-on)."""
    client, _shell, iopub = fake_client()
    assert isinstance(client, ReadyClient)
    asyncio.run(client.wait_for_ready(timeout=5))
    assert iopub.queue == [] and iopub.waited_in_silence == 0


def test_a_kernel_client_asks_again_until_iopub_is_connected() -> None:
    """A kernel_info reply without any IOPub message (its socket not connected yet) is
    not ready: the client asks again."""
    client, shell, iopub = fake_client()
    sent = []

    def first_status_lost(msg: dict[str, Any]) -> None:
        sent.append(msg)
        FakeShell.send(shell, msg)
        if len(sent) == 1:
            iopub.queue.clear()

    shell.send = first_status_lost  # type: ignore[method-assign]
    asyncio.run(client.wait_for_ready(timeout=5))
    assert len(sent) == 2 and iopub.waited_in_silence == 1


def test_a_slow_kernels_answer_to_an_earlier_request_will_do() -> None:
    """On a loaded machine the reply comes after the client has asked again: it is
    always the answer to the request before, and it makes the client ready."""
    client, shell, _iopub = fake_client()
    late: list[dict[str, Any]] = []

    def one_behind(msg: dict[str, Any]) -> None:
        FakeShell.send(shell, msg)
        late.append(shell.replies.pop())
        if len(late) > 1:
            shell.replies.append(late.pop(0))

    shell.send = one_behind  # type: ignore[method-assign]
    asyncio.run(client.wait_for_ready(timeout=5))


def manager_with_a_pooled_kernel(**timing: float) -> tuple[DpoKernelManager, list[str]]:
    """A kernel manager whose pool holds one warm kernel; its refills are only counted."""
    km = DpoKernelManager(**timing)
    fills: list[str] = []

    async def fill_pool() -> None:
        fills.append("fill")

    km.fill_pool = fill_pool  # type: ignore[method-assign]
    km._kernels["pooled"] = object()
    km._pool = ["pooled"]
    return km, fills


def test_the_pool_refills_after_the_page_of_the_kernel_it_gave_has_connected() -> None:
    """Starting a pooled kernel (a new process importing the dashboard) is the heaviest
    thing the server does: it waits until the log-on that took a kernel has its page."""

    async def session() -> list[str]:
        km, fills = manager_with_a_pooled_kernel(refill_delay=0.05, refill_wait=5.0)
        assert await km.start_for() == "pooled"
        await asyncio.sleep(0.2)
        assert fills == []  # the page has not connected yet
        km.notify_connect("pooled")
        await asyncio.sleep(0.2)
        return fills

    assert asyncio.run(session()) == ["fill"]


def test_the_pool_refills_when_the_page_never_connects() -> None:
    async def session() -> list[str]:
        km, fills = manager_with_a_pooled_kernel(refill_delay=5.0, refill_wait=0.05)
        await km.start_for()
        await asyncio.sleep(0.3)
        return fills

    assert asyncio.run(session()) == ["fill"]


def test_a_log_on_takes_the_kernel_being_warmed_rather_than_a_new_one() -> None:
    """With the pool empty while its kernel is being warmed, a log-on waits for that
    kernel: it started earlier, and a new one would still import the dashboard."""

    async def session() -> tuple[str, list[str]]:
        km, _fills = manager_with_a_pooled_kernel()
        km._pool = []
        km._filling = 1  # the pool's kernel is being warmed
        started: list[str] = []

        async def start_kernel(**_kwargs: object) -> str:
            started.append("new")
            return "new"

        km.start_kernel = start_kernel  # type: ignore[method-assign]
        log_on = asyncio.ensure_future(km.start_for())
        await asyncio.sleep(0.1)
        assert not log_on.done()
        km._pool.append("pooled")  # warmed: what fill_pool does
        km._filling = 0
        km._pool_changed.set()
        return await log_on, started

    assert asyncio.run(session()) == ("pooled", [])
