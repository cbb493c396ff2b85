"""`amphi proposals export` and what `amphi check` says of a talk's `proposal`, in process."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from bot.core.config import load_settings
from bot.programme.files import load_meeting_file
from bot.proposals.model import Draft
from bot.services import prepare
from tests.support.paths import SHIPPED_MEETING

DURING_THE_CALL = datetime(2021, 5, 1, 9, 0, tzinfo=UTC)  # the shipped call closes on 31 May


def store_with_proposals(tmp_path: Path) -> dict[str, str]:
    """A store holding the shipped meeting and three proposals: P-1 accepted, reviewed twice;
    P-2 declined; P-3 submitted, its title one a spreadsheet would run."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    env = {"DATABASE_URL": url, "AMPHI_MEETINGS": str(SHIPPED_MEETING)}
    services = prepare(load_settings(env), clock=lambda: DURING_THE_CALL)
    proposals = services.proposals

    async def fill() -> None:
        drafts = [
            Draft(
                "talk",
                'Wasserstein "GANs", \\ revisited',
                "First line.\nSecond line with ''' and \"\"\" quotes.",
                "Ada Lovelace (University of London)\nAlan Turing",
                "A note",
            ),
            Draft("talk", "Declined one", "Abstract.", "Bea Bee (Nowhere)"),
            Draft("talk", '=HYPERLINK("x")', "+1 abstract", "@Cy (Lab)"),
        ]
        made = [
            await proposals.propose(user_id=100 + i, display_name=f"-user{i}", draft=d)
            for i, d in enumerate(drafts)
        ]
        await proposals.review(reviewer_id=7, proposal_id=made[0].id, score=5, comment="=great")
        await proposals.review(reviewer_id=8, proposal_id=made[0].id, score=4, comment="fine")
        await proposals.decide(by=7, proposal_id=made[0].id, accept=True)
        await proposals.decide(by=7, proposal_id=made[1].id, accept=False)

    try:
        asyncio.run(fill())
    finally:
        services.close()
    return env


def test_the_accepted_proposals_export_as_talk_blocks_that_load(cli, tmp_path: Path) -> None:
    env = store_with_proposals(tmp_path)
    result = cli("proposals", "export", "--accepted", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[[sessions.talks]]") == 1
    assert 'proposal = "P-1"' in result.stdout
    # Pasted under a session of the meeting file, the blocks load as talks of the call.
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    pasted = tmp_path / "pasted.toml"
    session = '\n[[sessions]]\ntitle = "From the call"\ndate = 2021-06-29\nstart = "09:00"\n'
    session += 'end = "12:00"\n\n'
    pasted.write_text(text + session + result.stdout, encoding="utf-8")
    talk = load_meeting_file(pasted).sessions[-1].talks[0]
    assert talk.title == 'Wasserstein "GANs", \\ revisited'
    assert talk.abstract == "First line.\nSecond line with ''' and \"\"\" quotes."
    assert [(s.name, s.affiliation) for s in talk.speakers] == [
        ("Ada Lovelace", "University of London"),
        ("Alan Turing", ""),
    ]
    assert talk.proposal == "P-1"
    checked = cli("check", str(pasted), cwd=tmp_path, env={"DATABASE_URL": env["DATABASE_URL"]})
    assert checked.returncode == 0 and "warning" not in checked.stderr, checked.shown()


def test_without_accepted_every_standing_proposal_is_a_block(cli, tmp_path: Path) -> None:
    env = store_with_proposals(tmp_path)
    written = cli("proposals", "export", "-o", "talks.toml", cwd=tmp_path, env=env)
    assert written.returncode == 0, written.stderr
    blocks = (tmp_path / "talks.toml").read_text(encoding="utf-8")
    assert 'proposal = "P-1"' in blocks and 'proposal = "P-3"' in blocks
    assert 'proposal = "P-2"' not in blocks  # declined: no talk


def test_the_csv_has_every_proposal_with_its_reviews_formula_safe(cli, tmp_path: Path) -> None:
    env = store_with_proposals(tmp_path)
    result = cli("proposals", "export", "--format", "csv", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["reference"], r["status"]) for r in rows] == [
        ("P-1", "accepted"),
        ("P-2", "declined"),
        ("P-3", "submitted"),
    ]
    first, _, third = rows
    assert (first["reviews"], first["mean_score"], first["scores"]) == ("2", "4.50", "5; 4")
    assert first["comments"] == "7: =great | 8: fine"  # starts with the reviewer's id
    assert first["confirmation"] == "pending"
    assert first["authors"] == "Ada Lovelace (University of London); Alan Turing"
    assert first["proposer"] == "'-user0" and first["proposer_id"] == "100"
    assert third["title"] == '\'=HYPERLINK("x")' and third["abstract"] == "'+1 abstract"
    assert third["authors"] == "'@Cy (Lab)" and third["mean_score"] == ""
    written = cli("proposals", "export", "--format", "csv", "-o", "p.csv", cwd=tmp_path, env=env)
    assert "3 proposal(s) read" in written.stdout
    assert (tmp_path / "p.csv").read_text(encoding="utf-8-sig") == result.stdout


def test_check_warns_of_a_proposal_unknown_or_declined(cli, tmp_path: Path) -> None:
    env = store_with_proposals(tmp_path)
    text = SHIPPED_MEETING.read_text(encoding="utf-8")
    first = 'title = "Some Theoretical Insights into Wasserstein GANs"'
    second = 'title = "Existence, Stability And Scalability Of Orthogonal Convolutional Neural'
    assert first in text and second in text
    text = text.replace(first, first + '\n  proposal = "P-2"')
    text = text.replace(second, 'proposal = "P-9"\n  ' + second)
    edited = tmp_path / "edited.toml"
    edited.write_text(text, encoding="utf-8")
    result = cli("check", str(edited), cwd=tmp_path, env={"DATABASE_URL": env["DATABASE_URL"]})
    assert result.returncode == 0, result.shown()
    warnings = [line for line in result.stderr.splitlines() if "names proposal" in line]
    slug = "theorie-du-deep-learning-2021"
    assert warnings == [
        f'warning: {slug}: "Some Theoretical Insights into Wasserstein GANs" names proposal '
        "P-2, which was declined",
        f'warning: {slug}: "Existence, Stability And Scalability Of Orthogonal Convolutional '
        'Neural Networks" names proposal P-9, which this meeting does not have',
    ]
