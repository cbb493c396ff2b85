"""The capacity figures as organizers read them, in French too."""

from __future__ import annotations

from bot.core.i18n import Translator
from bot.registration.model import CapacityFigures
from bot.registration.render import render_capacity

FIGURES = CapacityFigures("Journée", 600, 598, 40, 12, 500, 150, None, False, None, 2)


def test_the_french_capacity_card_reads_in_french() -> None:
    card = render_capacity(
        FIGURES, Translator("fr"), for_organizer=True, interested=[("Session 1", 75)]
    )
    fields = dict(card.fields)
    assert fields["Capacité de la salle"] == "600"
    assert fields["Changements de rôle en échec"].startswith("2\u202f: ")
    assert "/inscriptions exporter" in fields["Changements de rôle en échec"]
    interested = fields["Intéressés dans l'onglet Événements"].splitlines()
    assert interested[0] == "Session 1\u202f: 75"
    assert "seul /inscription réserve une place" in interested[1]
