"""`amphi run`, the operator's entry point, as a process against the fake Discord."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.support.paths import ROOT, SHIPPED_MEETING


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
    assert "Traceback" not in output
