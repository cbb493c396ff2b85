"""`amphi import`, run as an organizer runs it: a schedule export into a meeting file, an update
that keeps the file's own settings and says what changed, a dry run, and bad sources."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.programme.files import load_meeting_file
from tests.unit.schedule_import.sources.samples import SAMPLES

DEMOCON = SAMPLES / "c3voc-pretalx-democon.json"
FOSDEM = SAMPLES / "pentabarf-fosdem-2013.xml"


def shown(result) -> str:
    """What the process said, for a failing assertion."""
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_an_export_becomes_a_meeting_file(cli, tmp_path: Path) -> None:
    out = tmp_path / "democon.toml"
    result = cli("import", str(DEMOCON), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, shown(result)
    meeting = load_meeting_file(out)
    assert f"Wrote {out}: {len(meeting.talks)} talk(s)" in result.stdout, shown(result)
    assert "set `capacity`" in result.stderr
    assert meeting.talks and all(talk.uid for talk in meeting.talks)
    assert out.read_text(encoding="utf-8").startswith("# Imported from ")
    checked = cli("check", str(out), cwd=tmp_path)
    assert checked.returncode == 0, shown(checked)


def test_an_update_keeps_the_files_settings_and_says_what_changed(cli, tmp_path: Path) -> None:
    out = tmp_path / "democon.toml"
    assert cli("import", str(DEMOCON), "-o", str(out), cwd=tmp_path).returncode == 0
    text = out.read_text(encoding="utf-8").replace("capacity = 0", "capacity = 321")
    out.write_text(text, encoding="utf-8")
    edited = tmp_path / "edited.json"
    first = load_meeting_file(out).talks[0]
    raw = DEMOCON.read_text(encoding="utf-8")
    assert raw.count(f'"title": "{first.title}"') == 1
    edited.write_text(raw.replace(f'"title": "{first.title}"', '"title": "A new title"'))

    dry = cli("import", str(edited), "-o", str(out), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, shown(dry)
    assert f"Would write {out}" in dry.stdout
    assert f"changed: A new title: retitled from {first.title!r}" in dry.stdout, shown(dry)
    assert out.read_text(encoding="utf-8") == text  # nothing written

    done = cli("import", str(edited), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, shown(done)
    meeting = load_meeting_file(out)
    assert meeting.capacity == 321
    assert meeting.talks[0].title == "A new title" and meeting.talks[0].uid == first.uid


def test_without_output_the_meeting_file_is_printed(cli, tmp_path: Path) -> None:
    result = cli("import", str(FOSDEM), "--timezone", "Europe/Brussels", cwd=tmp_path)
    assert result.returncode == 0, shown(result)
    assert result.stdout.startswith("# ") is False and 'slug = "fosdem-2013"' in result.stdout
    assert "[[sessions.talks]]" in result.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A web server on 127.0.0.1 serving `tmp_path`."""
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_export_at_a_web_address(cli, tmp_path: Path, server: str) -> None:
    (tmp_path / "schedule.json").write_bytes(DEMOCON.read_bytes())
    result = cli("import", f"{server}/schedule.json", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, shown(result)
    assert "Would write a meeting file" in result.stdout


@pytest.mark.parametrize(
    ("make", "options", "said"),
    [
        (lambda d: d / "missing.xml", (), "missing.xml"),
        (lambda d: d / "broken.xml", (), "XML"),
        (lambda d: d / "notes.json", (), "neither an Indico export"),
        (lambda d: FOSDEM, (), "--timezone"),
        (lambda d: FOSDEM, ("--timezone", "Mars/Olympus"), "Mars/Olympus"),
        (lambda d: "ftp://example.org/schedule.xml", (), "ftp"),
    ],
    ids=["missing-file", "malformed-xml", "unknown-format", "no-timezone", "bad-timezone", "ftp"],
)
def test_a_bad_source_is_refused_clearly_and_writes_nothing(
    cli, tmp_path: Path, make, options: tuple[str, ...], said: str
) -> None:
    (tmp_path / "broken.xml").write_text("<schedule><day>", encoding="utf-8")
    (tmp_path / "notes.json").write_text('{"shopping": ["bread"]}', encoding="utf-8")
    out = tmp_path / "out.toml"
    result = cli("import", str(make(tmp_path)), "-o", str(out), *options, cwd=tmp_path)
    assert result.returncode == 1, shown(result)
    assert said in result.stderr and "Nothing was written." in result.stderr, shown(result)
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_404_is_refused_with_its_status(cli, tmp_path: Path, server: str) -> None:
    result = cli("import", f"{server}/nowhere.json", cwd=tmp_path)
    assert result.returncode == 1, shown(result)
    assert "404" in result.stderr, shown(result)


def test_an_unknown_format_option_is_a_usage_error(cli, tmp_path: Path) -> None:
    result = cli("import", str(DEMOCON), "--format", "ical", cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr, shown(result)


def test_a_broken_meeting_file_to_update_is_left_alone(cli, tmp_path: Path) -> None:
    out = tmp_path / "m.toml"
    out.write_text('slug = "x"\n', encoding="utf-8")
    result = cli("import", str(DEMOCON), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 2 and "fix them before updating it" in result.stderr
    assert out.read_text(encoding="utf-8") == 'slug = "x"\n'


def test_an_output_in_a_missing_folder_is_refused_clearly(cli, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "m.toml"
    result = cli("import", str(DEMOCON), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1 and "cannot be written" in result.stderr, shown(result)
    assert "Traceback" not in result.stderr


HOSTILE_EXPORTS = {
    "deep.json": b"[" * 200_000 + b"]" * 200_000,
    "string-contribution.json": b'{"results": [{"_type": "Conference", "contributions": ["x"]}]}',
    "rooms-list.json": b'{"schedule": {"conference": {"days": [{"rooms": {"A": []}}, '
    b'{"rooms": [1]}]}}}',
    "long.json": b'{"schedule": {"conference": {"time_zone_name": "UTC", "days": [{"rooms": '
    b'{"A": [{"title": "T", "date": "2024-03-04T10:00:00Z", "duration": "1000000000000"}]}}]}}}',
    "laughs.xml": b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
    b"<schedule><conference><title>&b;</title></conference></schedule>",
    "untitled.json": b'{"schedule": {"conference": {"url": false, "time_zone_name": "UTC", "days": '
    b'[{"rooms": {"A": [{"date": "2024-03-04T10:00:00Z", "duration": "\\u0001:30"}]}}]}}}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_EXPORTS))
def test_a_bad_export_is_told_in_a_sentence_never_a_traceback(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / name
    source.write_bytes(HOSTILE_EXPORTS[name])
    code = main(["import", str(source), "-o", str(tmp_path / "out.toml")])
    said = capsys.readouterr()
    assert "Traceback" not in said.err + said.out
    if code == 0:  # read: the file is written, and holds what a meeting file may
        assert load_meeting_file(tmp_path / "out.toml").talks
    else:
        assert code == 1 and said.err.startswith("amphi: ") and "Nothing was written." in said.err
        assert not (tmp_path / "out.toml").exists()


def test_a_source_with_a_key_is_never_shown_with_it(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["import", f"{server}/export/1.json?ak=SECRET#top"])
    [said] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("amphi")]
    assert code == 1 and f"HTTP 404 File not found for {server}/export/1.json." in said
    assert "SECRET" not in said and "top" not in said
