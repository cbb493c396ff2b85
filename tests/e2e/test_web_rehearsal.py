"""`amphi rehearse --web`: the same web pages, served while the day plays, and their links."""

from __future__ import annotations

import asyncio
from datetime import time

import aiohttp

from bot.rehearsal.run import Options, rehearse
from tests.support.paths import SHIPPED_MEETING


async def test_a_rehearsal_serves_the_three_pages_while_the_day_plays() -> None:
    pages: dict[str, tuple[int, str]] = {}
    fetching: list[asyncio.Task] = []

    async def fetch(links: dict[str, str]) -> None:
        async with aiohttp.ClientSession() as http:
            for name, link in links.items():
                async with http.get(link + ("&" if "?" in link else "?") + "lang=en") as answer:
                    pages[name] = (answer.status, await answer.text())
            async with http.get(links["screen"].replace("key=", "key=x")) as wrong:
                pages["wrong key"] = (wrong.status, await wrong.text())

    options = Options(meetings=SHIPPED_MEETING, speed=900, attendees=5, start=time(15, 30), web=0)
    outcome = await rehearse(
        options, links=lambda links: fetching.append(asyncio.create_task(fetch(links)))
    )
    await asyncio.gather(*fetching)
    assert outcome.summary.failures == []
    assert pages["public"][0] == 200 and "Seats left" in pages["public"][1]
    assert pages["screen"][0] == 200 and 'id="screen"' in pages["screen"][1]
    assert pages["dashboard"][0] == 200 and 'id="registrations"' in pages["dashboard"][1]
    assert pages["wrong key"][0] == 403
