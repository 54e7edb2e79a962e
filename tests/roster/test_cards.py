"""The directory's cards are written in Python (roster/cards.py), not by the template engine:
every value a person or an administrator typed must still come out escaped, and the cards must
say what the template said."""

import html

import pytest
from django.urls import reverse

from peersupport.accounts.models import Unit
from peersupport.roster.cards import directory_cards
from peersupport.roster.selectors import BIO_SHORT

from ..factories import LanguageFactory, UnitFactory
from .helpers import A, Gender, make_supporter

pytestmark = pytest.mark.django_db

META = '<p class="supporter-card__meta"><span class="supporter-card__label">'
HOSTILE = "<script>alert('x')</script>&\"'"


def test_every_typed_value_is_escaped_on_the_page(dept, client_for):
    unit = UnitFactory(name=HOSTILE, kind=Unit.Kind.PRECINCT, parent=dept.hq)
    profile = make_supporter(
        unit,
        first=HOSTILE,
        last="O'Brien",
        languages=[LanguageFactory(code="xx", name=HOSTILE)],
        areas=[A.GRIEF_LOSS],
        gender=Gender.WOMAN,
        show_gender=True,
    )
    profile.bio = HOSTILE * 30
    profile.save()
    profile.user.employee.rank_title = HOSTILE
    profile.user.employee.save()
    page = client_for("employee").get(reverse("roster:directory")).content.decode()
    assert "<script>alert" not in page
    escaped = html.escape(HOSTILE, quote=True)
    # The name (in the link), the rank, the unit, the language and the start of the bio.
    assert page.count(escaped) >= 5
    assert f'<a href="{reverse("roster:detail", args=[profile.pk])}">' in page
    assert f"Experience:</span> {A.GRIEF_LOSS.label}</p>" in page
    assert "Gender:</span> Woman" in page
    assert len(profile.bio) > BIO_SHORT and "…" in page


def test_a_card_says_what_the_template_said(dept):
    """The markup the stylesheet and the browser tests rely on, for one supporter with and
    one without the optional lines."""
    full = make_supporter(
        dept.squad,
        first="Ana",
        last="Garcia",
        languages=[LanguageFactory(code="es", name="Spanish")],
        areas=[A.GRIEF_LOSS],
        gender=Gender.WOMAN,
        show_gender=True,
    )
    bare = make_supporter(dept.squad, first="Ben", last="Okafor", gender=Gender.MAN)
    for profile, available in ((full, True), (bare, False)):
        profile.available_now = available
        profile.language_names = [lang.name for lang in profile.user.employee.languages.all()]
        profile.area_labels = [A.GRIEF_LOSS.label] if profile is full else []
        profile.bio_short = profile.bio
    cards = str(directory_cards([full, bare])).split("\n")
    employee = full.user.employee
    assert cards[0] == (
        '<li class="supporter-card">'
        '<span class="supporter-photo supporter-photo--initials" aria-hidden="true">AG</span>'
        '<div class="supporter-card__body"><h2 class="supporter-card__name">'
        f'<a href="{reverse("roster:detail", args=[full.pk])}">Ana Garcia</a></h2>'
        f'<p class="supporter-card__role">{html.escape(employee.rank_title)} · '
        f"{html.escape(str(employee.unit))} · {employee.get_shift_display()} shift</p>"
        '<p><span class="availability availability--yes">Available now</span></p>'
        f"{META}Languages:</span> Spanish</p>"
        f"{META}Experience:</span> {A.GRIEF_LOSS.label}</p>"
        f"{META}Gender:</span> Woman</p>"
        "</div></li>"
    )
    # Not available, no language (said so), no areas, gender hidden by choice, no bio.
    assert '<span class="availability availability--no">Not available now</span>' in cards[1]
    assert "Languages:</span> Not listed</p>" in cards[1]
    assert "Experience" not in cards[1] and "Gender" not in cards[1]
    assert "supporter-card__bio" not in cards[1]
