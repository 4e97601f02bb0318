"""The dashboard's web server attacked as it runs: each finding of the review has its test.

One server for the module (short idle time-out and window grace, small caps), started
as ``python -m dpo_workbench.serve`` would start it, on a demo installation with a
second DPO user. The TLS test starts its own server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_installation
from sqlalchemy import create_engine, text
from webserver import (
    Server,
    message,
    parts_of,
    read_all,
    running_server,
    self_signed,
)

from dpo_workbench.audit import open_audit_log
from dpo_workbench.passwords import hash_password
from dpo_workbench.serve import Options
from dpo_workbench.settings import load_settings

pytestmark = pytest.mark.slow
IDLE_SECONDS = 12
#: Timings of the module's server: a closed window ends after 2 s, checked twice a second.
#: A page that never connects keeps its kernel 5 minutes, so that on a loaded machine the
#: cap test's pages (which never connect) still hold their kernels when it counts them;
#: every test logs off what it opened.
EXTRA = ("--DpoVoila.window_grace=2", "--DpoVoila.reap_every=0.5",
         "--DpoVoila.connect_grace=300")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("websecurity")
    with demo_installation(folder / "demo") as settings:
        settings.write_text(settings.read_text(encoding="utf-8")
                            + f"auth:\n  idle_minutes: {IDLE_SECONDS / 60}\n", encoding="utf-8")
        engine = create_engine(f"sqlite:///{settings.parent / 'configuration.sqlite'}")
        with engine.begin() as conn:  # a second DPO, for the caps
            conn.execute(text("INSERT INTO users (id, username, display_name, password_hash, "
                              "active) VALUES (900, 'dpo2', 'Second DPO', :p, 1)"),
                         {"p": hash_password("dpo2-pw", iterations=1000)})
            conn.execute(text("INSERT INTO user_rights (id, user_id, module, permission) "
                              "VALUES (900, 900, 'DPO', 'Use')"))
        engine.dispose()
        options = Options(pool_size=1, max_kernels=3, max_kernels_per_user=2)
        with running_server(settings, folder, options=options, extra=EXTRA) as running:
            running.settings = settings  # type: ignore[attr-defined]
            yield running


def logged_on(server: Server, user: str = "dpo", password: str = "dpo-demo"):
    client = server.client()
    assert client.log_on(user, password) == 303
    return client


def with_page(server: Server, user: str = "dpo", password: str = "dpo-demo"):
    client = logged_on(server, user, password)
    status, _page, kernel = client.page()
    assert status == 200 and kernel
    return client, kernel


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def log_off(client) -> None:
    client.request("POST", "/logout", {"_xsrf": client.cookies.get("_xsrf", "")})


# -- finding 2: anonymous requests start kernels ------------------------------------------


def test_anonymous_gets_start_no_kernel(server: Server) -> None:
    before = set(server.kernels())
    for _ in range(100):
        status, headers, body = server.client().get("/")
        assert status == 302 and headers["Location"] == "/login"
        assert "kernel" not in body.lower()
    for path in ("/api/kernels", "/voila/static/voila.js", "/voila/files/x", "/api/kernelspecs"):
        assert server.client().get(path)[0] in (403, 404)
    time.sleep(1)
    assert set(server.kernels()) <= before  # only the warm pool, started before any log-on


# -- finding 1: the kernel's websocket without log-on; the crafted image model -----------


def test_an_unauthenticated_websocket_is_refused(server: Server) -> None:
    from tornado.httpclient import HTTPClientError

    owner, kernel = with_page(server)

    async def attempt() -> None:
        stranger = server.client()
        with pytest.raises(HTTPClientError) as refused:
            await stranger.websocket(kernel)
        assert refused.value.code == 403

    asyncio.run(attempt())
    log_off(owner)


def test_the_crafted_image_model_is_refused_and_the_server_keeps_answering(
        server: Server) -> None:
    client, kernel = with_page(server)
    state = {"_model_name": "ImageModel", "_model_module": "@jupyter-widgets/controls",
             "_model_module_version": "2.0.0", "_view_name": "ImageView", "format": "png"}
    crafted = [
        message("comm_open", {"comm_id": "c1", "target_name": "jupyter.widget",
                              "data": {"state": state, "buffer_paths": [["value"]]}},
                buffers=(b"\0" * 8192,)),
        (2 ** 40).to_bytes(8, "little") + b"\0" * 8192,  # an offset table claiming 2**40 parts
    ]
    rss_before = server.rss_mb()

    async def attack(frame: bytes) -> list:
        ws = await client.websocket(kernel)
        await ws.write_message(frame, binary=True)
        await ws.write_message(message("comm_open", {
            "comm_id": "ctl", "target_name": "jupyter.widget.control", "data": {}}), binary=True)
        await ws.write_message(message("comm_msg", {
            "comm_id": "ctl", "data": {"method": "request_states"}}), binary=True)
        got = await read_all(ws, 3)
        return got + [ws.close_code]

    for frame in crafted:
        got = asyncio.run(attack(frame))
        assert got[-1] == 1008  # the server closed the connection: message refused
        for _ in range(5):
            started = time.monotonic()
            assert server.client().get("/login", timeout=5)[0] == 200
            assert time.monotonic() - started < 2
    assert server.rss_mb() < rss_before + 100
    log_off(client)


# -- finding 7: a malformed widget message's traceback -------------------------------------


def test_a_malformed_widget_message_sends_no_traceback(server: Server) -> None:
    client, kernel = with_page(server)

    async def poke() -> list:
        ws = await client.websocket(kernel)
        await ws.write_message(message("comm_open", {
            "comm_id": "ctl", "target_name": "jupyter.widget.control", "data": {}}), binary=True)
        await ws.write_message(message("comm_msg", {
            "comm_id": "ctl", "data": {"method": "request_states"}}), binary=True)
        states = await read_all(ws, 4)
        texts = []
        for frame in states:
            header, content = parts_of(frame)
            if header["msg_type"] == "comm_msg":
                for model_id, model in content["data"].get("states", {}).items():
                    if model["model_name"] in ("TextModel", "CheckboxModel", "ButtonModel"):
                        texts.append(model_id)
        assert texts
        for model_id in texts:  # values of the wrong type, unknown traits, junk events
            for data in ({"method": "update", "state": {"value": {"x": [1, 2]}}},
                         {"method": "update", "state": {"no_such_trait": 1, "layout": 5}},
                         {"method": "custom", "content": {"event": {"deep": [None]}}}):
                await ws.write_message(message("comm_msg", {"comm_id": model_id, "data": data}),
                                       binary=True)
        return await read_all(ws, 4)

    answers = asyncio.run(poke())
    for frame in answers:
        header, content = parts_of(frame)
        assert header["msg_type"] not in ("stream", "error", "execute_result", "display_data")
        assert b"Traceback" not in frame and b"TraitError" not in frame
    # The kernel did fail, and said so in the log file only.
    assert wait_for(lambda: server.dashboard_log.exists()
                    and "Error" in server.dashboard_log.read_text(encoding="utf-8"))
    log_off(client)


# -- finding 4: the kernel API, XSRF, Host, Origin, /logout ----------------------------------


def test_the_kernel_api_is_the_owners_only(server: Server) -> None:
    owner, kernel = with_page(server)
    other = logged_on(server, "dpo2", "dpo2-pw")
    anonymous = server.client()
    assert owner.get(f"/api/kernels/{kernel}")[0] == 200
    assert anonymous.get(f"/api/kernels/{kernel}")[0] == 403
    assert other.get(f"/api/kernels/{kernel}")[0] == 404
    for who in (anonymous, other):
        assert who.request("DELETE", f"/api/kernels/{kernel}", headers=who.xsrf_header())[0] \
            in (403, 404)
    # A forged _xsrf cookie and header pair (the attack of the review) is refused too.
    forged = "2|00000000|41414141414141414141414141414141|1"
    owner_cookies = dict(owner.cookies)
    owner.cookies["_xsrf"] = forged
    assert owner.request("DELETE", f"/api/kernels/{kernel}", headers={
        "X-XSRFToken": forged, "Origin": owner.origin})[0] == 403
    owner.cookies = owner_cookies
    assert kernel in server.kernels() and owner.get(f"/api/kernels/{kernel}")[0] == 200
    log_off(owner)
    log_off(other)
    assert wait_for(lambda: kernel not in server.kernels())


def test_host_and_origin_are_checked(server: Server) -> None:
    client, kernel = with_page(server)
    for host in ("evil.example", f"evil.example:{server.port}", f"127.0.0.1.nip.io:{server.port}"):
        assert client.get("/login", headers={"Host": host})[0] == 403
        assert client.get("/", headers={"Host": host})[0] == 403
    assert client.get(f"/api/kernels/{kernel}", headers={
        "Origin": "http://evil.example"})[0] == 403
    status, _h, _ = client.request("POST", "/logout", {"_xsrf": client.cookies["_xsrf"]},
                                   headers={"Origin": "http://evil.example"})
    assert status == 403 and kernel in server.kernels()

    async def sockets() -> None:
        from tornado.httpclient import HTTPClientError

        for origin in ("http://evil.example", None):  # a websocket must name this origin
            with pytest.raises(HTTPClientError) as refused:
                await client.websocket(kernel, origin=origin)
            assert refused.value.code == 403
        ws = await client.websocket(kernel)  # the page's own origin
        ws.close()

    asyncio.run(sockets())
    log_off(client)


def test_logout_answers_and_stops_the_kernel(server: Server) -> None:
    anonymous = server.client()
    assert anonymous.get("/logout")[0] == 302
    assert anonymous.request("POST", "/logout", {"_xsrf": "x"})[0] == 303
    client, kernel = with_page(server)
    status, headers, _ = client.request("POST", "/logout", {"_xsrf": "2|00|00|1"})
    assert status == 403 and kernel in server.kernels()  # no token, no log off
    status, headers, _ = client.request("POST", "/logout", {"_xsrf": client.cookies["_xsrf"]})
    assert status == 303 and headers["Location"] == "/login?ended=user"
    assert wait_for(lambda: kernel not in server.kernels())
    assert client.get("/")[0] == 302 and "dpo_session" not in client.cookies


# -- finding 2: a closed window's kernel, and the idle time-out ------------------------------


def test_a_closed_window_stops_its_kernel_and_ends_the_session(server: Server) -> None:
    client, kernel = with_page(server)

    async def open_and_close() -> None:
        ws = await client.websocket(kernel)
        await read_all(ws, 1)
        ws.close()

    asyncio.run(open_and_close())
    assert wait_for(lambda: kernel not in server.kernels(), 15)
    assert client.get("/")[0] == 302  # the session ended with its window
    assert wait_for(lambda: ("dpo", "logout", {"reason": "window_closed"}) in _audit(server))


def test_an_idle_session_ends_and_its_page_is_told(server: Server) -> None:
    client, kernel = with_page(server)

    async def idle() -> tuple:
        ws = await client.websocket(kernel)
        await read_all(ws, IDLE_SECONDS + 6)
        return ws.close_code, ws.close_reason

    assert asyncio.run(idle()) == (4001, "idle")  # the page leaves for the log-on form
    assert wait_for(lambda: kernel not in server.kernels())
    assert client.get("/")[0] == 302
    assert wait_for(lambda: ("dpo", "logout", {"reason": "idle"}) in _audit(server))


# -- bounded resources -----------------------------------------------------------------------


def test_kernels_are_capped_per_user_and_in_total(server: Server) -> None:
    first, second = with_page(server)[0], with_page(server)[0]
    third = logged_on(server)
    assert third.page()[0] == 429  # a user's third window
    other = with_page(server, "dpo2", "dpo2-pw")[0]
    fourth = logged_on(server, "dpo2", "dpo2-pw")
    status, page, kernel = fourth.page()
    assert status in (429, 503) and kernel is None  # three kernels: the server's cap
    assert len(set(server.kernels())) <= 3 + 1  # the cap and the warm pool
    # A reload replaces the session's kernel: it never holds two.
    reloaded = first.page()[2]
    assert reloaded and len(set(server.kernels())) <= 4
    for client in (first, second, third, other, fourth):
        log_off(client)


def test_log_on_failures_are_throttled_and_audited(server: Server) -> None:
    client = server.client()
    assert client.log_on("dpo", "wrong") == 403
    status, headers, page = client.request("POST", "/login", {
        "_xsrf": client.cookies["_xsrf"], "username": "dpo", "password": "dpo-demo"})
    assert status == 429 and int(headers["Retry-After"]) >= 1 and "Wait" in page
    assert ("dpo", "login_failed", {"reason": "credentials"}) in _audit(server)
    assert client.log_on("agent", "agent-demo") == 403  # waits, then: no DPO right
    time.sleep(2.5)  # the next tests log on from this address


def _audit(server: Server) -> list[tuple[str, str, dict]]:
    with open_audit_log(load_settings(server.settings)) as log:  # type: ignore[attr-defined]
        return [(e.user, str(e.action), dict(e.detail)) for e in log.events()]


# -- TLS ---------------------------------------------------------------------------------------


def test_tls_with_a_self_signed_certificate(tmp_path: Path) -> None:
    pair = self_signed(tmp_path)
    if pair is None:
        pytest.skip("openssl is not available to make a certificate")
    cert, key = pair
    with demo_installation(tmp_path / "demo", events=200) as settings, running_server(
            settings, tmp_path, options=Options(certfile=cert, keyfile=key, pool_size=0)) as tls:
        assert tls.url.startswith("https://")
        client = tls.client()
        status, headers, _ = client.get("/login")
        assert status == 200 and "Secure" in headers["Set-Cookie"]
        assert client.log_on() == 303
        status, _page, kernel = client.page()
        assert status == 200 and kernel

        async def over_wss() -> list:
            ws = await client.websocket(kernel)
            await ws.write_message(message("kernel_info_request", {}), binary=True)
            return await read_all(ws, 5)

        answers = [parts_of(f)[0]["msg_type"] for f in asyncio.run(over_wss())]
        assert "kernel_info_reply" in answers
        plain = tls.client()
        plain.base = plain.base.replace("https://", "http://")
        plain.tls = None
        with pytest.raises((OSError, ConnectionError)):
            plain.get("/login", timeout=5)
