"""A change signal tests can wait on until a condition about the fake's state holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Changes:
    """Wakes every waiter whenever the fake's state changes."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        """Signal a change to everyone waiting."""
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        """Return once ``condition()`` is true; TimeoutError naming ``what`` otherwise."""
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    if self._event is None:
                        self._event = asyncio.Event()
                    await self._event.wait()
        except TimeoutError:
            raise TimeoutError(
                f"fake Discord: timed out after {timeout}s waiting for {what}"
            ) from None
