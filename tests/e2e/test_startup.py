"""`amphi run`, the operator's entry point, as a process against the fake Discord."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.harness import eventually
from tests.support.paths import ROOT, SHIPPED_MEETING
from tests.support.processes import kill, meeting_file


async def test_amphi_run_reaches_ready_and_syncs_its_commands(fake, tmp_path: Path) -> None:
    env = fake.subprocess_env()
    env.update(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'amphi.sqlite3'}",
            "AMPHI_MEETINGS": str(SHIPPED_MEETING),
            "PYTHONPATH": env["PYTHONPATH"] + ":" + str(ROOT),
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not any("Ready as" in line for line in lines):
                line = (await process.stdout.readline()).decode()
                assert line, "the bot exited:\n" + "".join(lines)
                lines.append(line)
        assert fake.sync_count == 1
        assert {"programme", "now", "calendar"} <= {c["name"] for c in fake.commands}
        user = fake.add_member("operator")
        reply = await (await fake.invoke("programme", user=user)).message(timeout=10)
        assert "Théorie du deep learning" in reply.text()
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    output = "".join(lines) + rest.decode()
    assert process.returncode == 0, output
    assert fake.token not in output
    assert "Traceback" not in output, output


async def test_a_debug_log_holds_neither_the_video_link_nor_what_members_typed(
    fake, tmp_path: Path, runs
) -> None:
    link = "https://video.example/room-7f3a"
    start = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    meetings = meeting_file(tmp_path, start, start - timedelta(minutes=5), start)
    env = fake.subprocess_env()
    env.update(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'amphi.sqlite3'}",
            "AMPHI_MEETINGS": str(meetings),
            "PYTHONPATH": env["PYTHONPATH"] + ":" + str(ROOT),
            "LOG_LEVEL": "DEBUG",
            "REMOTE_LINK": link,
        }
    )
    process = await runs.start(fake, env)
    try:
        ada = fake.add_member("ada")
        options = {"mode": "remote", "member": True, "dm": True, "affiliation": "Lab Zeta-42"}
        reply = await (await fake.invoke("register", options, user=ada)).message(timeout=10)
        assert "remotely" in reply.content
        await eventually(lambda: fake.dms(ada), timeout=10)
        assert link in fake.dms(ada)[0].content  # the link went out, by DM
    finally:
        await kill(process)
    text = runs.output()
    assert "DEBUG" in text, text[-2000:]  # the log really was at DEBUG
    assert link not in text and fake.token not in text
    assert "Lab Zeta-42" not in text  # what the member typed


async def test_json_logs_and_the_health_file_of_a_running_bot(fake, tmp_path: Path) -> None:
    """LOG_FORMAT=json: every line of the output is a JSON object; the health file says "active"
    once the bot is connected, and `amphi health` reads it."""
    import json
    import os

    health = tmp_path / "health"
    env = fake.subprocess_env()
    env.update(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_GUILD_ID": str(fake.guild_id),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'amphi.sqlite3'}",
            "AMPHI_MEETINGS": str(SHIPPED_MEETING),
            "PYTHONPATH": env["PYTHONPATH"] + ":" + str(ROOT),
            "LOG_FORMAT": "json",
            "AMPHI_HEALTH_FILE": str(health),
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not any("Ready as" in line for line in lines):
                line = (await process.stdout.readline()).decode()
                assert line, "the bot exited:\n" + "".join(lines)
                lines.append(line)
        # Written "standby" while the bot waits for the lease, "active" once it is connected.
        await eventually(
            lambda: health.exists() and health.read_text().strip() == "active", timeout=10
        )
        checked = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "health", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        said, _ = await checked.communicate()
        assert checked.returncode == 0, said.decode()
        assert said.decode().startswith("healthy: active, connected")
        os.utime(health, (0, 0))  # as if the bot had stopped saying so long ago
        stale = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "health", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        said, _ = await stale.communicate()
        assert stale.returncode == 1 and "unhealthy" in said.decode()
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    output = "".join(lines) + rest.decode()
    assert process.returncode == 0, output
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(r["message"].startswith("Ready as") and r["level"] == "INFO" for r in records)
    assert {"time", "level", "logger", "message"} <= set(records[0])
