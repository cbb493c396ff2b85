"""The `amphi` command line in tests: called in the test's process (its refusals and outputs,
quickly), or run as the operator runs it, a process of its own (the entry point itself)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.logs import PAYLOAD_LOGGERS
from tests.support.paths import ROOT


@dataclass(frozen=True)
class Said:
    """What a command said and how it ended, as a process would report it."""

    returncode: int
    stdout: str
    stderr: str

    def shown(self) -> str:
        """Everything, for a failing assertion."""
        return f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def clean_environment() -> dict[str, str]:
    """The environment without the operator's settings (DISCORD_*, AMPHI_*)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "AMPHI_"))}


def amphi_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in `cwd`, with only the settings in `env`."""
    clean = clean_environment()
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        input="",  # as under cron or a container: no terminal to ask
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class InProcess:
    """`amphi ARGS` called as `bot.cli.main(ARGS)` in the test's process: the working folder,
    the environment and the output are the test's own for the call (pytest's monkeypatch and
    capsys), and the logging set-up `amphi run` makes is undone afterwards."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Said:
        with self.monkeypatch.context() as patch:
            patch.chdir(cwd)
            for name in list(os.environ):
                if name.startswith(("DISCORD_", "AMPHI_")):
                    patch.delenv(name)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            self.capsys.readouterr()  # what came before is not this command's
            with _logging_restored():
                try:
                    code = main(list(args))
                except SystemExit as exit:
                    code = exit.code if isinstance(exit.code, int) else 1
            out, err = self.capsys.readouterr()
        return Said(code or 0, out, err)


class _logging_restored:
    """The logging configuration as it was: `amphi run` sets up the root logger's handlers."""

    def __enter__(self) -> None:
        root = logging.getLogger()
        self.handlers = {handler: list(handler.filters) for handler in root.handlers}
        self.level = root.level
        self.levels = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}

    def __exit__(self, *_exc) -> None:
        root = logging.getLogger()
        for handler in root.handlers[:]:
            if handler not in self.handlers:
                root.removeHandler(handler)
        for handler, filters in self.handlers.items():
            handler.filters[:] = filters
        root.setLevel(self.level)
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
