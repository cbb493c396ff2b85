"""The rehearsal's closing figures, in the language it was played in."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.core.i18n import Translator
from bot.registration.model import CapacityFigures
from bot.rehearsal.summary import Summary

FIGURES = CapacityFigures("Journée", 60, 60, 8, 3, 50, 21, None, True, None)


def played() -> Summary:
    return Summary(
        posts=Counter(sent=39, late=1),
        lateness=[1.0, 3.0, 7.0],
        posted=[2.0, 4.0, 1650.0],
        speed=1100.0,
        channel_posts=120,
        dms=300,
        replies=900,
        figures=FIGURES,
        questions={"approved": 16, "rejected": 8, "answered": 8, "pending": 0},
        votes=97,
        pings=Counter({"@Remote": 2}),
        ready=datetime(2021, 6, 28, 7, 1, 2),
        not_rehearsed=["la liste d'attente\u202f: …"],
    )


def test_the_summary_reads_in_english_by_default() -> None:
    lines = played().lines()
    assert "Planned posts: 40 of 40 sent (1 sent late, 39 sent)." in lines
    assert "Failures: none." in lines and "Pinged: @Remote ×2." in lines
    assert "(1.5 s of real time)." in lines[2]


def test_the_summary_reads_in_french() -> None:
    lines = played().lines(Translator("fr"))
    assert lines[0] == "Le bot était prêt à 07:01:02 à l'horloge de la répétition."
    assert (
        lines[1]
        == "Publications prévues\u202f: 40 envoyées sur 40 (1 envoyée en retard, 39 envoyées)."
    )
    assert "délai de grâce de 5 minutes" in lines[2] and "(1,5\u202fs en temps réel)." in lines[2]
    assert lines[4] == (
        "Inscriptions\u202f: 60 dans la salle (sur 60 places), 8 à distance, 3 en liste "
        "d'attente\u202f; 50 membres du GdR."
    )
    assert lines[5] == (
        "Questions\u202f: 8 posées par la présidence, 16 approuvées, 0 en attente, 8 refusées"
        "\u202f; 97 votes."
    )
    assert lines[6:] == [
        "Mentionnés\u202f: @Remote ×2.",
        "Échecs\u202f: aucun.",
        "Ce qui n'a pas pu être répété\u202f:",
        "  - la liste d'attente\u202f: …",
    ]
