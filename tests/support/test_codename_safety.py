"""A codename cannot be lost (issue 19 item 1): post/redirect/get to a page that shows it again
in the same browser, encrypted in the session, until the person says they wrote it down or
CODENAME_SHOW_MINUTES pass; separators forgiven when it is typed back; no distressing words."""

import math

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from peersupport.support import codenames, services
from peersupport.support.models import RequesterKind, SupportRequest
from peersupport.support.views import CODENAME_SHOW_MINUTES

from .test_requests import ask_data, make_supporter

pytestmark = pytest.mark.django_db
PUBLIC_ASK = reverse("support:public_ask")
CODENAME = reverse("support:codename")
CHECK = reverse("support:check")
STATUS = reverse("support:status")


@pytest.fixture(autouse=True)
def supporter(personas):
    return make_supporter(personas["supporter"])


def _send(client, **over):
    resp = client.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, **over))
    assert resp.status_code == 302 and resp["Location"] == CODENAME
    return resp


def test_the_codename_survives_reloads_and_is_shown_only_to_this_browser(client):
    _send(client)
    first = client.get(CODENAME)
    codename = first.context["codename"]
    assert len(codename.split()) == 7
    body = first.content.decode()
    assert codename in body and "30 minutes" in body and "data-copy" in body
    assert "js/codename.js" in body and "css/codename-card.css" in body
    for _ in range(3):  # a phone reloading the page while its owner writes the words down
        again = client.get(CODENAME)
        assert again.status_code == 200 and again.context["codename"] == codename
    # Another browser sees nothing, and the session table holds no plaintext.
    other = Client().get(CODENAME)
    assert other.status_code == 200 and other.context["codename"] is None
    assert codename not in other.content.decode()
    for session in Session.objects.all():
        assert codename not in session.session_data
        assert codename not in repr(session.get_decoded())


def test_it_is_forgotten_only_once_written_down(client):
    _send(client)
    codename = client.get(CODENAME).context["codename"]
    refused = client.post(CODENAME, {})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Error: Your codename" in body and 'role="alert"' in body
    assert refused.context["codename"] == codename  # still there to write down
    done = client.post(CODENAME, {"written": "on"})
    assert done.status_code == 302 and done["Location"] == CHECK
    gone = client.get(CODENAME)
    assert gone.context["codename"] is None and codename not in gone.content.decode()
    # And it still opens the request.
    assert client.post(CHECK, {"codename": codename}).status_code == 302


def test_it_is_forgotten_after_the_time_shown():
    client = Client()
    with time_machine.travel("2026-03-02 10:00:00+00:00", tick=False) as traveller:
        _send(client)
        assert client.get(CODENAME).context["codename"]
        traveller.shift(CODENAME_SHOW_MINUTES * 60 - 5)
        assert client.get(CODENAME).context["codename"]
        traveller.shift(10)
        assert client.get(CODENAME).context["codename"] is None


def test_a_tampered_session_value_shows_nothing_and_never_fails(client):
    _send(client)
    session = client.session
    session["support_new_codename"] = {"codename": "v1:nope:AAAA", "until": 9e12}
    session.save()
    assert client.get(CODENAME).context["codename"] is None
    session = client.session
    session["support_new_codename"] = "garbage"
    session.save()
    assert client.get(CODENAME).status_code == 200


def test_a_resent_form_goes_back_to_the_codename_never_a_second_request(client):
    _send(client, token="again")
    codename = client.get(CODENAME).context["codename"]
    resent = client.post(PUBLIC_ASK, ask_data(kind=RequesterKind.FAMILY, token="again"))
    assert resent.status_code == 302 and resent["Location"] == CODENAME
    assert client.get(CODENAME).context["codename"] == codename
    assert SupportRequest.objects.count() == 1


@pytest.mark.parametrize(
    "typed",
    [
        "{a}, {b}, {c}, {d}, {e}, {f}, {g}",
        "{a}.{b}.{c}.{d}.{e}.{f}.{g}",
        "{A}-{B} -- {C}_{D};{E}/{F}   {G}",
        "  {a}\t{b}\n{c} {d},{e}. {f} - {g} ",
    ],
)
def test_separators_and_case_are_forgiven(client, typed):
    _send(client)
    words = client.get(CODENAME).context["codename"].split()
    keys = dict(zip("abcdefg", words, strict=True))
    keys |= {k.upper(): w.upper() for k, w in keys.items()}
    visitor = Client()
    resp = visitor.post(CHECK, {"codename": typed.format(**keys)})
    assert resp.status_code == 302 and resp["Location"] == STATUS


def test_normalising_an_existing_codename_is_unchanged():
    # The lookup of every codename already given depends on normalise(); the words are letters
    # only, so the separators added since cannot change it.
    old = "abacus abdomen abdominal abide abiding ability ablaze"
    assert codenames.normalise(old) == old
    assert codenames.normalise("Abacus, ABDOMEN-abdominal abide  abiding ability ablaze") == old
    assert codenames.lookup_id("abacus.abdomen.abdominal.abide.abiding.ability.ablaze") == (
        codenames.lookup_id(old)
    )


def test_the_word_list_has_no_distressing_words_and_what_that_costs():
    full, clean = codenames.full_word_list(), codenames.word_list()
    for word in ("casket", "widow", "grief", "drown", "snitch", "coroner", "handgun", "prison"):
        assert word in full and word not in clean
    assert set(full) >= codenames.DISTRESSING  # every word taken out was in the list
    bits_before = codenames.settings.CODENAME_WORDS * math.log2(len(full))
    bits_after = codenames.settings.CODENAME_WORDS * math.log2(len(clean))
    assert len(full) == 7772 and round(bits_before, 1) == 90.5
    assert len(clean) == 7611 and round(bits_after, 1) == 90.3
    for _ in range(50):
        assert not set(codenames.new_codename().split()) & codenames.DISTRESSING


def test_a_codename_with_a_word_now_left_out_still_opens_its_request(client):
    old = "casket widow grief drown snitch abacus ablaze"
    req = services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        contact_method="messages",
        notice_version="program-default-1",
        submission_token="old-codename",
    ).request
    req.codename_lookup = codenames.lookup_id(old)
    req.codename_hash = codenames.codename_hash(old)
    req.save(update_fields=["codename_lookup", "codename_hash"])
    resp = Client().post(CHECK, {"codename": old.replace(" ", ", ")})
    assert resp.status_code == 302 and resp["Location"] == STATUS


def test_confirming_with_nothing_kept_says_so_without_an_error():
    resp = Client().post(CODENAME, {"written": "on"})
    assert resp.status_code == 200 and resp.context["codename"] is None
    assert "No codename to show" in resp.content.decode()
