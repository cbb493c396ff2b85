"""The web pages over HTTP, in the test's process (aiohttp's test server), on a real store:
headers, keys, languages, escaping, the shared snapshot, the room screen's events."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core.config import load_settings
from bot.registration.model import Mode
from bot.services import prepare
from bot.web.signing import DASHBOARD, SCREEN, page_key
from tests.support.harness import FakeClock
from tests.support.paths import SHIPPED_MEETING

SLUG = "theorie-du-deep-learning-2021"
BIAU = "some-theoretical-insights-into-wasserstein-gans"
DURING_BIAU = datetime(2021, 6, 28, 8, 10, tzinfo=UTC)
BEFORE = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)
SECRET = "a-secret-of-the-tests-0123456789"


@pytest.fixture
def clock():
    return FakeClock(BEFORE)


@pytest.fixture
async def web(migrated_sqlite_url, clock):
    """(services, client) with the web pages of the shipped meeting, no bot."""
    settings = load_settings(
        {
            "DATABASE_URL": migrated_sqlite_url,
            "AMPHI_MEETINGS": str(SHIPPED_MEETING),
            "DISCORD_GUILD_ID": "4242",
            "WEB_PORT": "0",
            "WEB_SECRET": SECRET,
        }
    )
    services = prepare(settings, clock=clock)
    assert services.web is not None
    services.web.snapshots.max_age = 0.0  # each request sees what the test just did
    client = TestClient(TestServer(services.web.app))
    await client.start_server()
    try:
        yield services, client
    finally:
        await client.close()
        services.close()


def keyed(page: str, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"/m/{SLUG}/{page}?key={page_key(SECRET, SLUG, page)}{extra}"


async def register(services, n: int, *, member: bool, mode: Mode, name: str = "") -> None:
    for i in range(n):
        await services.registration.register(
            user_id=10_000 + i + (500 if member else 0) + (250 if mode is Mode.REMOTE else 0),
            display_name=name or f"person{i}",
            mode=mode,
            member=member,
        )


async def test_the_public_page_shows_the_figures_and_no_personal_data(web) -> None:
    services, client = web
    await register(services, 3, member=True, mode=Mode.IN_PERSON, name="Zoé Secrète")
    await register(services, 2, member=False, mode=Mode.REMOTE, name="Yann Caché")
    response = await client.get(f"/m/{SLUG}?lang=en")
    page = await response.text()
    assert response.status == 200
    figures = await services.registration.figures()
    assert f'id="counter-members">{figures.members}<' in page
    assert f'id="counter-non-members">{figures.non_members}<' in page
    assert f'id="counter-seats-left">{figures.seats_left}<' in page
    assert (figures.members, figures.non_members, figures.seats_left) == (3, 2, 597)
    assert "Zoé" not in page and "Yann" not in page and "10000" not in page
    assert "Théorie du deep learning" in page and "Gérard Biau" in page
    assert f'href="/m/{SLUG}/calendar.ics"' in page


async def test_the_public_figures_follow_registrations_in_the_page_s_language(web) -> None:
    services, client = web
    before = await (await client.get(f"/m/{SLUG}/counters.json?lang=en")).json()
    await register(services, 3, member=True, mode=Mode.IN_PERSON, name="Zoé Secrète")
    answer = await client.get(f"/m/{SLUG}/counters.json?lang=fr")
    after = await answer.json()
    assert answer.headers["Cache-Control"] == "public, max-age=1"
    assert (before["seats-left"], after["seats-left"]) == ("600", "597")
    assert (before["members"], after["members"]) == ("0", "3")
    assert before["registration"].startswith("Open until")
    assert after["registration"].startswith("Ouvertes jusqu")
    assert "Zoé" not in await answer.text()
    page = await (await client.get(f"/m/{SLUG}?lang=fr")).text()
    assert f'data-src="/m/{SLUG}/counters.json?lang=fr"' in page
    assert all(f'id="counter-{key}">' in page for key in after)  # each figure has its place
    unknown = await client.get("/m/nothing-here/counters.json")
    assert unknown.status == 404


async def test_every_answer_carries_strict_headers(web) -> None:
    _, client = web
    for path in (f"/m/{SLUG}", keyed(SCREEN), "/static/amphi.css", f"/m/{SLUG}/screen?key=x"):
        response = await client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_a_proxy_may_keep_the_public_page_a_second_and_never_the_keyed_ones(web) -> None:
    _, client = web
    public = await client.get(f"/m/{SLUG}")
    assert public.headers["Cache-Control"] == "public, max-age=1"
    assert public.headers["Vary"] == "Accept-Language"  # one copy per language
    for page in (SCREEN, DASHBOARD):
        assert (await client.get(keyed(page))).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("page", [SCREEN, DASHBOARD])
async def test_a_wrong_or_missing_key_gets_403_and_no_data(web, page) -> None:
    _, client = web
    other = DASHBOARD if page == SCREEN else SCREEN
    for path in (
        f"/m/{SLUG}/{page}",
        f"/m/{SLUG}/{page}?key=nope",
        f"/m/{SLUG}/{page}?key={page_key(SECRET, SLUG, other)}",
        f"/m/{SLUG}/{page}?key={page_key('another-secret-000000', SLUG, page)}",
    ):
        response = await client.get(path)
        body = await response.text()
        assert response.status == 403, path
        assert "key is wrong or no longer valid" in body
        assert "Théorie" not in body and "Biau" not in body
    assert (await client.get(f"/m/{SLUG}/screen/events?key=nope")).status == 403


async def test_bad_input_gets_a_polite_error(web) -> None:
    _, client = web
    response = await client.get(f"/m/{SLUG}?lang=de")
    assert response.status == 400
    assert "Unknown language de: use ?lang=en or ?lang=fr." in await response.text()
    response = await client.get("/m/no-such-meeting", headers={"Accept-Language": "fr-FR"})
    assert response.status == 404
    assert "Il n&#39;y a pas de journée no-such-meeting ici." in await response.text()


async def test_the_browser_s_language_or_lang_chooses_french_or_english(web) -> None:
    _, client = web
    french = await (await client.get(f"/m/{SLUG}", headers={"Accept-Language": "fr"})).text()
    assert "Places restantes" in french and '<html lang="fr">' in french
    english = await (
        await client.get(f"/m/{SLUG}?lang=en", headers={"Accept-Language": "fr"})
    ).text()
    assert "Seats left" in english and '<html lang="en">' in english
    home = await client.get("/", allow_redirects=False)
    assert home.status == 302 and home.headers["Location"] == f"/m/{SLUG}"


async def test_a_crowd_shares_one_read_of_the_store(web) -> None:
    services, client = web
    services.web.snapshots.max_age = 60.0
    before = services.web.snapshots.reads
    answers = await asyncio.gather(*(client.get(f"/m/{SLUG}") for _ in range(50)))
    assert {a.status for a in answers} == {200}
    assert services.web.snapshots.reads - before == 1


async def approved(services, clock, text: str, *, anonymous: bool = False, name: str = "ada"):
    meeting, talk = await services.questions.talk(BIAU)
    clock.now = DURING_BIAU
    asked = await services.questions.ask(
        user_id=99, display_name=name, text=text, meeting=meeting, talk=talk, anonymous=anonymous
    )
    await services.questions.approve(question_id=asked.id, by=1)
    return asked


async def test_the_screen_escapes_what_people_wrote(web, clock) -> None:
    services, client = web
    await approved(services, clock, "<script>alert(1)</script> & why?", name="<b>bold</b>")
    page = await (await client.get(keyed(SCREEN))).text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


async def first_event(response) -> dict:
    lines = []
    while not lines or lines[-1] != "":
        lines.append((await response.content.readline()).decode().rstrip("\n"))
    assert lines[0] == "event: state"
    return json.loads(lines[1].removeprefix("data: "))


async def test_the_screen_s_events_carry_the_approved_questions_only(web, clock) -> None:
    services, client = web
    await approved(services, clock, "Is it sharp?", anonymous=True, name="hidden-name")
    meeting, talk = await services.questions.talk(BIAU)
    pending = await services.questions.ask(
        user_id=98, display_name="bo", text="Still pending?", meeting=meeting, talk=talk
    )
    rejected = await services.questions.ask(
        user_id=97, display_name="cy", text="Rejected one", meeting=meeting, talk=talk
    )
    await services.questions.reject(question_id=rejected.id, by=1)
    path = keyed(SCREEN).replace("/screen?", "/screen/events?")
    response = await client.get(path)
    assert response.headers["Content-Type"] == "text/event-stream"
    state = await first_event(response)
    response.close()
    assert state["mode"] == "talk" and state["title"].startswith("Some Theoretical Insights")
    assert [q["text"] for q in state["questions"]] == ["Is it sharp?"]
    assert state["questions"][0]["author"] == "Anonymous"
    assert "hidden-name" not in json.dumps(state)
    assert pending.id not in [q["id"] for q in state["questions"]]


async def test_the_dashboard_counts_without_naming_anyone(web, clock) -> None:
    services, client = web
    await register(services, 4, member=True, mode=Mode.IN_PERSON, name="Zoé Secrète")
    clock.now = BEFORE.replace(hour=15)
    await register(services, 2, member=False, mode=Mode.REMOTE, name="Yann Caché")
    page = await (await client.get(keyed(DASHBOARD, lang="en"))).text()
    assert 'id="d-in-person">4<' in page and 'id="d-remote">2<' in page
    assert 'data-points="25"' in page  # 09:00 … 15:00 by the quarter of an hour
    assert "Zoé" not in page and "Yann" not in page and "10000" not in page
    assert "Questions per talk" in page and "Planned posts of the day" in page
