"""Fetching an export: from a file, and over HTTP from a server on 127.0.0.1 run by the test."""

from __future__ import annotations

import io
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bot.schedule_import.sources import SourceError, fetch_source, parse_schedule, shown_source
from bot.schedule_import.sources.fetch import MAX_BYTES
from bot.schedule_import.sources.watch import WebRedirects
from tests.unit.schedule_import.sources.samples import SAMPLES, sample


class _Handler(SimpleHTTPRequestHandler):
    agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Handler.agents.append(self.headers.get("User-Agent", ""))
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """The base URL of a file server over the sample folder, on a free port of 127.0.0.1."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(SAMPLES)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_a_file_is_read_as_it_is(tmp_path: Path) -> None:
    assert fetch_source(str(SAMPLES / "jekyll-lswt2019.xml")) == sample("jekyll-lswt2019.xml")


def test_a_missing_file_or_a_folder_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "schedule.xml"
    with pytest.raises(SourceError) as refused:
        fetch_source(str(missing))
    assert str(refused.value) == (
        f"There is no file at {missing}. Check the path, or give the export's web address."
    )
    with pytest.raises(SourceError, match="is a folder"):
        fetch_source(str(tmp_path))


def test_a_download_over_http_sends_amphis_user_agent(server: str) -> None:
    _Handler.agents.clear()
    data = fetch_source(f"{server}/c3voc-hub-schedule2.json", timeout=5)
    assert data == sample("c3voc-hub-schedule2.json")
    assert parse_schedule(data).title == "38C3"
    [agent] = _Handler.agents
    assert agent.startswith("Amphi/")


def test_an_http_error_status_is_given(server: str) -> None:
    with pytest.raises(SourceError) as refused:
        fetch_source(f"{server}/no-such-schedule.json", timeout=5)
    message = str(refused.value)
    assert message.startswith(f"The server answered HTTP 404 File not found for {server}/")
    assert "Check the address, and that the event or schedule is published." in message


def test_a_refused_connection_is_told_as_such(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.socket() as probe:  # a port nobody listens on: bind it, then let it go
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert closed != port
    with pytest.raises(SourceError) as refused:
        fetch_source(f"http://127.0.0.1:{closed}/schedule.xml", timeout=5)
    assert str(refused.value) == (
        "127.0.0.1 refused the connection. Check the address (and its port), then try again."
    )


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as silent:  # it accepts the connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(SourceError) as refused:
            fetch_source(f"http://127.0.0.1:{port}/schedule.json", timeout=0.3)
    assert str(refused.value).startswith("127.0.0.1 did not answer within 0.3 seconds.")


@pytest.mark.parametrize("url", ["ftp://example.org/schedule.xml", "file:///etc/hosts"])
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    with pytest.raises(SourceError) as refused:
        fetch_source(url)
    scheme = url.split(":", 1)[0]
    assert str(refused.value).startswith(
        f"Amphi fetches schedules over https:// (or http://) only, not {scheme}:."
    )


class _Hostile(BaseHTTPRequestHandler):
    """A server that drips its body a byte at a time, or redirects where it is told."""

    redirect_to: ClassVar[str] = ""

    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", _Hostile.redirect_to)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):  # a byte each 0.05 s: every read answers well within its timeout
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            time.sleep(0.05)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_a_server_that_drips_is_cut_off_at_the_deadline(hostile: str) -> None:
    with pytest.raises(SourceError) as refused:
        fetch_source(f"{hostile}/schedule.json?key=secret", timeout=5, deadline=0.5)
    assert str(refused.value).startswith(
        "The download from 127.0.0.1 did not finish within 0.5 seconds: the server sends too "
        "slowly."
    )


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("file:///etc/passwd", "redirects the download to a file:// address"),
        ("ftp://127.0.0.1/schedule.xml", "redirects the download to a ftp:// address"),
    ],
)
def test_a_redirect_off_the_web_is_not_followed(hostile: str, target: str, said: str) -> None:
    _Hostile.redirect_to = target
    with pytest.raises(SourceError, match=said):
        fetch_source(f"{hostile}/redirect", timeout=5)


def test_a_redirect_from_https_down_to_http_is_not_followed() -> None:
    refusal = WebRedirects()
    request = urllib.request.Request("https://indico.example.org/export/event/1.json?ak=k")
    with pytest.raises(SourceError) as refused:
        refusal.redirect_request(
            request, io.BytesIO(), 302, "Found", HTTPMessage(), "http://indico.example.org/x"
        )
    assert "in the clear" in str(refused.value)
    followed = refusal.redirect_request(
        request, io.BytesIO(), 302, "Found", HTTPMessage(), "https://mirror.example.org/x"
    )
    assert followed is not None and followed.full_url == "https://mirror.example.org/x"


def test_a_redirect_within_http_is_followed(hostile: str, server: str) -> None:
    _Hostile.redirect_to = f"{server}/c3voc-hub-schedule2.json"
    assert fetch_source(f"{hostile}/redirect", timeout=5) == sample("c3voc-hub-schedule2.json")


def test_a_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    assert MAX_BYTES == 8 * 1024 * 1024
    assert len(sample("pentabarf-fosdem-2013.xml")) * 10 < MAX_BYTES  # the largest, with room
    big = tmp_path / "schedule.json"
    big.write_bytes(b" " * (MAX_BYTES + 1))
    with pytest.raises(SourceError, match="is larger than 8 MB"):
        fetch_source(str(big))


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("https://user:pw@indico.example.org/export/event/1.json?ak=SECRET#x",
         "https://indico.example.org/export/event/1.json"),
        ("HTTP://[::1]:8080/schedule.xml?key=SECRET", "http://[::1]:8080/schedule.xml"),
        ("/srv/amphi/schedule.xml", "/srv/amphi/schedule.xml"),
        ("http://[::1/x?key=SECRET", "http:// address"),
    ],
)  # fmt: skip
def test_a_source_is_shown_without_its_query_or_user(source: str, shown: str) -> None:
    assert shown_source(source) == shown


def test_an_http_error_does_not_show_the_key_in_the_query(server: str) -> None:
    with pytest.raises(SourceError) as refused:
        fetch_source(f"{server}/no-such-schedule.json?apikey=SECRET", timeout=5)
    assert "SECRET" not in str(refused.value)
    assert f"for {server}/no-such-schedule.json." in str(refused.value)
