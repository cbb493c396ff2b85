"""Fetching an export: from a file, and over HTTP from a server on 127.0.0.1 run by the test."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bot.schedule_import.sources import SourceError, fetch_source, parse_schedule
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
