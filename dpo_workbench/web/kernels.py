"""Kernels for logged-on sessions only: a small warm pool, caps, and knowing who is connected.

Voila starts a kernel for every page it renders. Here a kernel is started (or
taken from the pool) only for a page of a logged-on session, through
:meth:`DpoKernelManager.start_for`; the web server (:mod:`.server`) decides before
that whether the session may have one (:meth:`DpoKernelManager.admit`), and stops
kernels whose window closed or whose session ended.

Why not Voila's own ``preheat_kernel``: it renders the notebook in the pooled
kernel before anyone asks, so the dashboard would be built without knowing who
will use it, and it cannot be combined with ``prelaunch_hook``, through which the
server tells the kernel who logged on. The pool here holds kernels that have
imported the dashboard's code (the slow part, about 1.5 s), opened the installation
and built the widgets with nobody logged on
(:func:`dpo_workbench.ui.app.prepare_kernel`); the notebook runs in one when a
session's page is rendered, and begins the session of the user the server logged on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_server.services.kernels.kernelmanager import (
    AsyncMappingKernelManager,
    ServerKernelManager,
)
from tornado import web
from traitlets import DottedObjectName, Float, Integer, Unicode, default

#: What a pooled kernel runs before it is handed to a session.
WARM_CODE = "from dpo_workbench.ui.app import prepare_kernel as _p; _p(); del _p"


class ReadyClient(AsyncKernelClient):
    """A kernel client that is ready as soon as the kernel has answered it in full.

    Jupyter's client waits for the kernel's ``kernel_info_reply`` and then reads the
    IOPub channel until it has been silent for 0.2 s; the page of every log-on waited
    that long before its notebook ran (Voila asks when it starts executing). Here the
    wait ends with the ``idle`` status of the ``kernel_info_request`` itself: IOPub is
    connected, and everything the request made has been read. Messages of later
    requests are told apart by their parent anyway.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked: set[str] = set()  # a slow kernel answers an earlier request: any will do
        while True:
            asked.add(self.kernel_info())
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply" \
                    and reply["parent_header"].get("msg_id") in asked \
                    and await self._iopub_idle_after(asked):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _iopub_idle_after(self, asked: set[str]) -> bool:
        """Read IOPub up to the ``idle`` status of a request in ``asked`` (False: IOPub
        not connected yet, nothing came within 0.2 s)."""
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                return False
            if msg["msg_type"] == "status" and msg["parent_header"].get("msg_id") in asked \
                    and msg["content"].get("execution_state") == "idle":
                return True


class DpoServerKernelManager(ServerKernelManager):
    """Jupyter Server's manager of one kernel, whose clients are :class:`ReadyClient`."""

    client_class = DottedObjectName(f"{__name__}.ReadyClient")

    @default("client_factory")
    def _default_client_factory(self) -> type:
        return ReadyClient


class DpoKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager with a warm pool, caps and connection times."""

    @default("kernel_manager_class")
    def _default_kernel_manager_class(self) -> str:
        return f"{__name__}.DpoServerKernelManager"

    pool_size = Integer(1, config=True, help="Kernels kept started and warm for log-ons.")
    max_kernels = Integer(6, config=True, help="Most kernels of sessions at once (pool aside).")
    max_kernels_per_user = Integer(2, config=True,
                                   help="Most kernels of one user's sessions at once.")
    kernel_name = Unicode("python3", config=True, help="The kernel spec of pooled kernels.")
    refill_delay = Float(0.5, config=True,
                         help="Seconds after a session's page connected to the kernel it took "
                              "before the pool refills.")
    refill_wait = Float(10.0, config=True,
                        help="Seconds the pool waits at most for that page before it refills.")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._pool: list[str] = []
        self._filling = 0
        self._reserved = 0
        self._session_kernels: set[str] = set()
        self._disconnected_at: dict[str, float] = {}
        self._ever_connected: set[str] = set()
        self._closing = False
        #: Kernels taken from the pool whose page has not connected yet: the refill's timer.
        self._refills: dict[str, asyncio.TimerHandle] = {}
        #: Set when a kernel has been warmed for the pool (or failed to be).
        self._pool_changed = asyncio.Event()

    # -- caps ----------------------------------------------------------------------------

    def session_kernels(self) -> set[str]:
        """Kernels given to sessions (not the pool's), still running."""
        self._session_kernels &= set(self.list_kernel_ids())
        return set(self._session_kernels)

    def admit(self, user_kernels: int) -> None:
        """Reserve room for one more session kernel, or refuse with an HTTP error.

        ``user_kernels`` counts the kernels of the user's *other* sessions. Call
        :meth:`release` when the reservation was not used.
        """
        if user_kernels >= self.max_kernels_per_user:
            raise web.HTTPError(429, reason="Too many dashboard windows of this user")
        if len(self.session_kernels()) + self._reserved >= self.max_kernels:
            raise web.HTTPError(503, reason="The dashboard is busy")
        self._reserved += 1

    def release(self) -> None:
        self._reserved = max(0, self._reserved - 1)

    # -- starting ------------------------------------------------------------------------

    async def start_for(self, **kwargs: Any) -> str:
        """A kernel for a session's page: a warm one from the pool, else a new one."""
        self.release()
        kernel_id = await self._pooled()
        if kernel_id is None:
            kernel_id = await self.start_kernel(**kwargs)
        self._session_kernels.add(kernel_id)
        self._disconnected_at[kernel_id] = time.monotonic()  # not connected yet
        self._refill_later(kernel_id, self.refill_wait)
        return kernel_id

    async def _pooled(self) -> str | None:
        """A kernel of the pool; None when it is empty and none is being warmed.

        A kernel being warmed is waited for: it started before this log-on, so it is
        ready sooner than a new one, which would still have to import the dashboard
        while the notebook runs (seconds on a loaded machine).
        """
        while True:
            while self._pool:
                candidate = self._pool.pop(0)
                if candidate in self:
                    return candidate
            if not self._filling:
                return None
            self._pool_changed.clear()
            await self._pool_changed.wait()

    def _refill_later(self, kernel_id: str, delay: float) -> None:
        """Refill the pool ``delay`` seconds from now.

        Starting a kernel and importing the dashboard takes more CPU than anything
        else the server does: started at once, it competed with the log-on that took
        the kernel (its notebook, the browser drawing the page). So the refill waits
        for that page to connect (:meth:`notify_connect`), then ``refill_delay``
        seconds more; at most ``refill_wait`` seconds in all.
        """
        old = self._refills.pop(kernel_id, None)
        if old is not None:
            old.cancel()

        def refill() -> None:
            self._refills.pop(kernel_id, None)
            asyncio.ensure_future(self.fill_pool())

        self._refills[kernel_id] = asyncio.get_running_loop().call_later(delay, refill)

    async def fill_pool(self) -> None:
        """Start and warm kernels until the pool is full (never beyond the cap)."""
        while (not self._closing and len(self._pool) + self._filling < self.pool_size
               and len(self.session_kernels()) + len(self._pool) + self._filling
               < self.max_kernels + self.pool_size):
            self._filling += 1
            try:
                kernel_id = await self.start_kernel(kernel_name=self.kernel_name, path="")
                if await self._warm(kernel_id):
                    self._pool.append(kernel_id)
                else:
                    await self.shutdown_kernel(kernel_id, now=True)
            except Exception:  # noqa: BLE001 - a failed pool start must not stop the server
                self.log.exception("Starting a pooled kernel failed")
                return
            finally:
                self._filling -= 1
                self._pool_changed.set()

    async def _warm(self, kernel_id: str) -> bool:
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            reply = await client.execute_interactive(WARM_CODE, store_history=False,
                                                     timeout=120, output_hook=lambda _m: None)
            ok = reply.get("content", {}).get("status") == "ok"
            if not ok:
                self.log.error("A pooled kernel could not import the dashboard")
            return ok
        finally:
            client.stop_channels()

    def pooled(self) -> list[str]:
        return list(self._pool)

    # -- connections ---------------------------------------------------------------------

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        if kernel_id in self._refills:
            self._refill_later(kernel_id, self.refill_delay)
        self._disconnected_at.pop(kernel_id, None)
        self._ever_connected.add(kernel_id)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 0) <= 0:
            self._disconnected_at[kernel_id] = time.monotonic()

    def ever_connected(self, kernel_id: str) -> bool:
        return kernel_id in self._ever_connected

    def connected(self, kernel_id: str) -> bool:
        return self._kernel_connections.get(kernel_id, 0) > 0

    def disconnected_for(self, kernel_id: str) -> float:
        """Seconds since the kernel's last window went away (0 while one is connected)."""
        since = self._disconnected_at.get(kernel_id)
        return 0.0 if since is None else time.monotonic() - since

    def busy(self, kernel_id: str) -> bool:
        try:
            return getattr(self.get_kernel(kernel_id), "execution_state", "") == "busy"
        except KeyError:
            return False

    def quiet_for(self, kernel_id: str) -> float:
        """Seconds since the kernel last sent anything."""
        try:
            last = self.get_kernel(kernel_id).last_activity
        except (KeyError, AttributeError):
            return 0.0
        from jupyter_server._tz import utcnow

        return (utcnow() - last).total_seconds()

    async def stop(self, kernel_id: str) -> None:
        """Shut a kernel down now (its window's data goes with it)."""
        self._session_kernels.discard(kernel_id)
        if kernel_id in self._refills:  # its page never came: no reason to wait longer
            self._refill_later(kernel_id, 0.0)
        self._disconnected_at.pop(kernel_id, None)
        self._ever_connected.discard(kernel_id)
        if kernel_id in self:
            with contextlib.suppress(KeyError, web.HTTPError):  # gone meanwhile
                await self.shutdown_kernel(kernel_id, now=True)

    async def close(self) -> None:
        self._closing = True
        for handle in self._refills.values():
            handle.cancel()
        await self.shutdown_all(now=True)
