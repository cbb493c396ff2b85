"""The web pages as a person sees them: Debian's Chromium, headless, driven by Playwright,
against Amphi running on the fake Discord. Screenshots of the three pages at 1920×1080 are kept
in test-artefacts/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.registration.model import Mode
from tests.e2e.test_questions import ask, click, moderation_card, reply_to, thread_posts
from tests.support.harness import eventually, running_amphi, test_settings
from tests.support.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artefacts" / "screenshots"
SLUG = "theorie-du-deep-learning-2021"
DURING_BIAU = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)  # 10:10 in Paris
SECRET = "browser-tests-secret-0123456789"
LINK = re.compile(r"https?://\S+")
#: The issue's promise: an approval, a vote or /qa next is on the screen within 2 s.
WITHIN = 2000

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: install Debian's chromium package (apt-get install -y "
        "chromium) to run the browser tests",
    ),
]


@pytest.fixture
async def browser():
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser):
    context = await browser.new_context(
        viewport={"width": 1920, "height": 1080}, timezone_id="America/New_York"
    )
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.console_errors = errors
    yield opened
    await context.close()


@pytest.fixture
async def web_amphi(fake, clock, migrated_sqlite_url):
    settings = test_settings(fake, migrated_sqlite_url, WEB_PORT="0", WEB_SECRET=SECRET)
    async with running_amphi(fake, settings, clock) as running:
        yield running


async def link_from(fake, command: str, user) -> str:
    _, reply = await reply_to(fake, command, user=user)
    found = LINK.search(reply.content)
    assert found, reply.content
    return found[0]


async def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


async def register_crowd(services, clock, start: datetime) -> None:
    """Members and non-members, in person and remote, over a few hours."""
    for i in range(40):
        clock.now = start + timedelta(minutes=7 * i)
        await services.registration.register(
            user_id=50_000 + i,
            display_name=f"Reg {i}",
            mode=Mode.REMOTE if i % 4 == 0 else Mode.IN_PERSON,
            member=i % 3 != 0,
        )


async def test_the_public_page_shows_what_capacity_says_in_both_languages(
    web_amphi, fake, clock, page
) -> None:
    _bot, services = web_amphi
    await register_crowd(services, clock, clock.now)
    member = fake.add_member("visitor")
    _, capacity = await reply_to(fake, "capacity", user=member)
    shown = {
        field["name"]: field["value"] for embed in capacity.embeds for field in embed["fields"]
    }
    url = services.web.public_link(SLUG)
    await page.goto(url + "?lang=en")
    counters = page.locator(".counter")
    figures = {
        await c.locator("dt").inner_text(): await c.locator("dd").inner_text()
        for c in await counters.all()
    }
    for label in (
        "Room capacity",
        "Registered in person",
        "Registered remote",
        "Seats left",
        "Waitlist",
        "Members of the network",
        "Non-members",
    ):
        assert figures[label] == shown[label], label
    assert figures["Registration"].startswith("Open until")
    assert await page.locator("h1").inner_text() == "Théorie du deep learning"
    assert await page.locator(".talk").count() == len(
        (await services.programme.active_meeting()).talks
    )
    # Times in the meeting's zone, with the viewer's own (New York) beside them.
    first = await page.locator(".talk .slot").first.inner_text()
    assert "10:00" in first and "(04:00 your time)" in first
    assert "Reg 1" not in await page.content()
    await page.locator("#talk-some-theoretical-insights-into-wasserstein-gans summary").click()
    assert await page.locator(".abstract").first.is_visible()
    await page.evaluate("window.scrollTo(0, 0)")
    await shoot(page, "public-page")

    await page.goto(url, wait_until="load")  # no ?lang: the browser's language (English here)
    french = await browser_in_french(page, url)
    assert "Places restantes" in french and "Appel à contributions" in french
    assert page.console_errors == []


async def test_an_open_public_page_keeps_its_figures_live(web_amphi, fake, clock, page) -> None:
    _bot, services = web_amphi
    await page.clock.install()  # the page's timers run when the test says
    await page.goto(services.web.public_link(SLUG) + "?lang=en")
    seats = page.locator("#counter-seats-left")
    assert await seats.inner_text() == "600"
    await register_crowd(services, clock, clock.now)
    _, capacity = await reply_to(fake, "capacity", user=fake.add_member("visitor"))
    shown = {f["name"]: f["value"] for embed in capacity.embeds for f in embed["fields"]}
    assert shown["Seats left"] != "600"

    async def refreshed() -> bool:
        await page.clock.run_for(10_000)  # the page asks for its figures every 10 s
        return await seats.inner_text() == shown["Seats left"]

    await eventually(refreshed, 15, interval=0.5)  # the shared copy lasts a second or two
    for key, label in (("members", "Members of the network"), ("remote", "Registered remote")):
        assert await page.locator(f"#counter-{key}").inner_text() == shown[label]
    assert page.console_errors == []


async def browser_in_french(page, url: str) -> str:
    await page.set_extra_http_headers({"Accept-Language": "fr-FR,fr;q=0.9"})
    await page.goto(url)
    assert await page.locator("html").get_attribute("lang") == "fr"
    return await page.locator("body").inner_text()


@pytest.mark.usefixtures("web_amphi")
async def test_the_room_screen_follows_approvals_votes_and_the_chair(fake, clock, page) -> None:
    clock.now = DURING_BIAU
    organizer = fake.add_member("olga", roles=["Organizer"])
    moderator = fake.add_member("mona", roles=["Moderator"])
    link = await link_from(fake, "screen", organizer)
    assert f"/m/{SLUG}/screen?key=" in link

    await page.goto(link)
    assert await page.locator("#current-title").inner_text() == (
        "Some Theoretical Insights into Wasserstein GANs"
    )
    assert await page.locator("#current-speakers").inner_text() == "Gérard Biau"
    await page.locator("#live[data-live='on']").wait_for(timeout=5000)  # the stream is open

    questions = page.locator("#questions .question")
    asked = {}
    for name, text, anonymous in [
        ("alice", "How stable is the training in practice?", False),
        ("bruno", "What about the curse of dimensionality?", True),
        ("carla", "Spam, please reject me", False),
        ("dario", "Is the generator Lipschitz?", False),
    ]:
        member = fake.add_member(name)
        clock.now += timedelta(seconds=1)
        await ask(fake, member, text, anonymous=anonymous)
        asked[name] = (member, text)
    await click(fake, moderation_card(fake, "Spam, please reject me"), "reject", moderator)
    for shown, name in enumerate(("alice", "bruno", "dario")):
        await click(fake, moderation_card(fake, asked[name][1]), "approve", moderator)
        # Seen without a reload, within 2 s of the approval.
        await questions.nth(shown).wait_for(timeout=WITHIN)
    assert await questions.count() == 3

    await page.wait_for_timeout(500)
    texts = await page.locator("#questions .text").all_inner_texts()
    assert "Spam, please reject me" not in texts
    anonymous = page.locator("#questions .question", has_text="curse of dimensionality")
    assert await anonymous.locator(".author").inner_text() == "Anonymous"
    assert "bruno" not in await page.locator("#screen").inner_text()
    assert "alice" in await page.locator("#screen").inner_text()

    # Votes reorder the list: dario's question gets two, bruno's one.
    await eventually(lambda: len(thread_posts(fake)) == 3)
    posts = {p.content: p for p in thread_posts(fake)}

    def post_of(text: str):
        return next(p for content, p in posts.items() if text in content)

    voters = [fake.add_member(f"voter{i}") for i in range(3)]
    await click(fake, post_of("Lipschitz"), "vote", voters[0])
    await click(fake, post_of("Lipschitz"), "vote", voters[1])
    await click(fake, post_of("curse of dimensionality"), "vote", voters[2])
    first_text = page.locator("#questions .question").first.locator(".text")
    await first_text.filter(has_text="Lipschitz").wait_for(timeout=WITHIN)
    await page.locator(
        "#questions .question:nth-child(2) .text", has_text="curse of dimensionality"
    ).wait_for(timeout=WITHIN)
    assert await page.locator("#questions .votes").all_inner_texts() == ["2", "1", "0"]

    # The chair takes the most voted question: it is marked on the screen.
    await reply_to(fake, "qa next", user=moderator)
    await page.locator("#questions .question.taken", has_text="Lipschitz").wait_for(timeout=WITHIN)
    assert await page.locator("#questions .question.taken").count() == 1

    # The QR code of the talk's Q&A thread, for the people in the room.
    qr = page.locator("#qr")
    await qr.wait_for(timeout=WITHIN)
    assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert await qr.evaluate("img => img.naturalWidth") > 100
    await shoot(page, "room-screen")

    # Between the talks: the next one and its time.
    clock.now = datetime(2021, 6, 28, 10, 30, tzinfo=UTC)  # 12:30 in Paris, lunch
    await page.locator("#between").wait_for(timeout=WITHIN + 1000)
    assert await page.locator("#next-time").inner_text() == "16:00–16:20"
    assert await page.locator("#qa").is_hidden()
    assert page.console_errors == []


async def test_a_wrong_key_gets_403_and_no_data(web_amphi, page) -> None:
    _bot, services = web_amphi
    for path in ("screen?key=wrong", "dashboard?key=" + "A" * 43, "dashboard"):
        response = await page.goto(f"{services.web.public_link(SLUG)}/{path}")
        assert response is not None and response.status == 403
        text = await page.locator("body").inner_text()
        assert "key is wrong or no longer valid" in text and "Théorie" not in text


async def test_the_dashboard_charts_a_point_per_bucket_of_registrations(
    web_amphi, fake, clock, page
) -> None:
    _bot, services = web_amphi
    start = clock.now
    await register_crowd(services, clock, start)  # over 4 h 33 min: 5-minute buckets
    organizer = fake.add_member("olga", roles=["Organizer"])
    link = await link_from(fake, "dashboard", organizer)
    await page.goto(link + "&lang=en")
    canvas = page.locator("#registrations")
    await canvas.wait_for()
    points = await page.evaluate(
        "() => Chart.getChart('registrations').data.datasets.map(d => d.data.length)"
    )
    assert points == [55, 55, 55, 55]  # in person, remote, waitlist, capacity
    totals = await page.evaluate(
        "() => Chart.getChart('registrations').data.datasets.map(d => d.data.at(-1))"
    )
    figures = await services.registration.figures()
    assert totals == [figures.in_person, figures.remote, figures.waitlist, figures.capacity]
    body = await page.locator("body").inner_text()
    assert "Reg 1" not in body and "50001" not in body
    assert "Planned posts of the day" in body and "Questions per talk" in body
    await shoot(page, "dashboard")
    french = await browser_in_french(page, link)
    assert "Inscriptions au fil du temps" in french
    assert page.console_errors == []
