"""The web pages' front: the shared pages answered from one request of the bot's server per
crowd and per second, everything else passed as it comes, and a process that ends with the bot's.

The bot's server is played by a small aiohttp application that counts what it is asked.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import textwrap

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web.front import Front, FrontProcess
from tests.support.harness import eventually
from tests.support.paths import ROOT


class Backend:
    """A stand-in for the bot's server: a public page, a keyed page, a stream."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.next_event = asyncio.Event()
        self.slow = 0.0
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/m/{slug}", self.public),
                web.get("/m/{slug}/screen", self.keyed),
                web.get("/m/{slug}/screen/events", self.events),
                web.get("/static/{name}", self.static),
                web.get("/", self.home),
            ]
        )

    async def public(self, request: web.Request) -> web.Response:
        self.asked.append(request.path_qs)
        self.headers.append(dict(request.headers))
        await asyncio.sleep(self.slow)  # the crowd arrives while the page is being made
        language = request.headers.get("Accept-Language", "en")[:2]
        return web.Response(
            text=f"page {len(self.asked)} in {language}",
            headers={"Cache-Control": "public, max-age=1", "Vary": "Accept-Language"},
        )

    async def static(self, request: web.Request) -> web.StreamResponse:
        self.asked.append(request.path_qs)
        # Written in pieces, as a file is: the front must keep them all.
        response = web.StreamResponse(headers={"Cache-Control": "public, max-age=60"})
        await response.prepare(request)
        for piece in range(64):
            await response.write(bytes([piece]) * 16384)
        return response

    async def home(self, request: web.Request) -> web.Response:
        self.asked.append(request.path_qs)
        raise web.HTTPFound("/m/day")

    async def keyed(self, request: web.Request) -> web.Response:
        self.asked.append(request.path_qs)
        self.headers.append(dict(request.headers))
        if request.query.get("key") != "right":
            return web.Response(status=403, text="no", headers={"Cache-Control": "no-store"})
        cookie = request.headers.get("Cookie", "none")
        return web.Response(text=f"screen; cookie {cookie}", headers={"Cache-Control": "no-store"})

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"event: state\ndata: 1\n\n")
        await self.next_event.wait()
        await response.write(b"event: state\ndata: 2\n\n")
        return response


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def backend():
    backend = Backend()
    server = TestServer(backend.app, host="127.0.0.1")
    await server.start_server()
    backend.port = server.port  # type: ignore[attr-defined]
    try:
        yield backend
    finally:
        backend.next_event.set()
        await server.close()


@pytest.fixture
async def front(backend):
    clock = Clock()
    front = Front(backend.port, now=clock)
    client = TestClient(TestServer(front.app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield front, client, clock
    finally:
        await client.close()


async def test_a_crowd_is_answered_from_one_request_of_the_server(front, backend) -> None:
    _, client, clock = front
    backend.slow = 0.2

    async def load() -> tuple[int, str, str]:
        async with client.get("/m/day") as answer:
            return answer.status, await answer.text(), answer.headers["Cache-Control"]

    answers = await asyncio.gather(*(load() for _ in range(200)))
    assert set(answers) == {(200, "page 1 in en", "public, max-age=1")}
    assert backend.asked == ["/m/day"]
    assert (await load())[1] == "page 1 in en"  # kept for its max-age
    clock.now += 1.5
    assert (await load())[1] == "page 2 in en"  # then asked again
    assert len(backend.asked) == 2


async def test_a_large_file_is_kept_whole(front, backend) -> None:
    _, client, _ = front
    expected = b"".join(bytes([piece]) * 16384 for piece in range(64))
    for _ in range(2):
        answer = await client.get("/static/chart.js")
        assert answer.status == 200
        assert await answer.read() == expected
    assert backend.asked == ["/static/chart.js"]


async def test_the_home_address_leads_the_visitor_on(front, backend) -> None:
    _, client, _ = front
    answer = await client.get("/", allow_redirects=False)
    assert (answer.status, answer.headers["Location"]) == (302, "/m/day")
    assert backend.asked == ["/"]  # the front did not follow it itself


async def test_each_language_has_its_copy_whatever_the_browser_or_the_address_adds(
    front, backend
) -> None:
    _, client, _ = front
    pages = {}
    browsers = ("fr-FR,fr;q=0.9,en;q=0.8", "fr", "FR-ca", "en-GB", "de, en-US;q=0.5", "x" * 5000)
    for accept in browsers:
        answer = await client.get("/m/day?utm=1&x=2", headers={"Accept-Language": accept})
        pages[accept] = await answer.text()
    assert set(pages.values()) == {"page 1 in fr", "page 2 in en"}
    assert backend.asked == ["/m/day", "/m/day"]  # nothing of the query but ?lang=
    assert [h["Accept-Language"] for h in backend.headers] == ["fr", "en"]
    for lang in ("fr", "FR"):
        assert await (await client.get(f"/m/day?lang={lang}&x=1")).text() == "page 3 in en"
    assert backend.asked[2:] == ["/m/day?lang=fr"]


async def test_an_unknown_language_is_passed_to_the_server_which_says_why(front, backend) -> None:
    _, client, _ = front
    for _ in range(2):
        await client.get("/m/day?lang=klingon")
    assert backend.asked == ["/m/day?lang=klingon"] * 2  # not kept: the server's refusal


async def test_no_visitor_s_condition_reaches_the_server(front, backend) -> None:
    _, client, _ = front
    conditions = {"If-None-Match": '"abc"', "If-Modified-Since": "Mon, 07 Dec 2026 10:00:00 GMT"}
    await client.get("/m/day", headers={**conditions, "Cookie": "a=1"})
    await client.get("/m/day/screen?key=right", headers=conditions)
    for seen in backend.headers:
        assert not {"If-None-Match", "If-Modified-Since", "Cookie"} & set(seen)


async def test_keyed_pages_pass_through_each_time_without_the_visitors_cookies(
    front, backend
) -> None:
    _, client, _ = front
    wrong = await client.get("/m/day/screen?key=wrong")
    assert (wrong.status, await wrong.text()) == (403, "no")
    for _ in range(2):
        right = await client.get("/m/day/screen?key=right", headers={"Cookie": "session=1"})
        assert (right.status, await right.text()) == (200, "screen; cookie none")
    assert backend.asked.count("/m/day/screen?key=right") == 2


async def test_the_screens_stream_passes_each_event_as_it_comes(front, backend) -> None:
    _, client, _ = front
    async with client.get("/m/day/screen/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        first = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        assert first == b"event: state\ndata: 1\n\n"  # before the server sends the second
        backend.next_event.set()
        second = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        assert second == b"event: state\ndata: 2\n\n"


async def test_what_the_pages_do_not_take_is_refused(front, backend) -> None:
    _, client, _ = front
    posted = await client.post("/m/day", data=b"x" * 1000)
    assert posted.status == 405
    assert posted.headers["Allow"] == "GET, HEAD"
    assert backend.asked == []


async def test_a_server_away_gets_a_polite_503(unused_tcp_port) -> None:
    client = TestClient(TestServer(Front(unused_tcp_port).app, host="127.0.0.1"))
    await client.start_server()
    try:
        for path in ("/m/day", "/m/day/screen?key=x"):
            answer = await client.get(path)
            assert answer.status == 503
            assert answer.headers["Retry-After"] == "5"
            assert "try again in a moment" in await answer.text()
            assert answer.headers["Cache-Control"] == "no-store"
    finally:
        await client.close()


@pytest.fixture
def unused_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def answers(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/m/day", timeout=aiohttp.ClientTimeout(total=2)) as a,
        ):
            return a.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        # A zombie (ended, not yet reaped by a dead parent's successor) has ended too.
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


async def test_the_front_process_serves_stops_and_starts_again_when_it_dies(backend) -> None:
    process = FrontProcess("127.0.0.1", 0, backend.port)
    port = await process.start()
    try:
        assert await answers(port)
        first = process._process
        assert first is not None
        first.kill()  # the front dies: the bot's process starts it again on the same port
        await eventually(lambda: process._process is not first, 10, interval=0.1)
        await eventually(lambda: answers(port), 10, interval=0.1)
    finally:
        await process.stop()
    assert not await answers(port)


async def test_a_front_whose_start_is_cut_short_does_not_outlive_it(
    backend, unused_tcp_port
) -> None:
    process = FrontProcess("127.0.0.1", unused_tcp_port, backend.port)
    starting = asyncio.create_task(process.start())
    await asyncio.sleep(0.05)  # the front is being started, not listening yet
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    await asyncio.sleep(3)  # time enough for a front left behind to listen
    assert not await answers(unused_tcp_port)


async def test_the_front_cannot_listen_on_a_port_taken(backend) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = FrontProcess("127.0.0.1", taken.getsockname()[1], backend.port)
        with pytest.raises(OSError, match=r"could not listen on 127\.0\.0\.1"):
            await process.start()


async def test_the_front_ends_when_the_bots_process_is_killed(backend) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from bot.web.front import FrontProcess

        async def main():
            front = FrontProcess("127.0.0.1", 0, {backend.port})
            port = await front.start()
            print(port, front._process.pid, flush=True)
            await asyncio.sleep(3600)

        asyncio.run(main())
        """
    )
    bot = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", script),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert bot.stdout is not None and bot.stderr is not None
        line = await asyncio.wait_for(bot.stdout.readline(), 30)
        assert line, (await bot.stderr.read()).decode()  # its output, should it not start
        port, pid = map(int, line.split())
        assert await answers(port)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        await eventually(lambda: not alive(pid), 10, interval=0.1)
        assert not await answers(port)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
