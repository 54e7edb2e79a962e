"""An advisory committee election in a real browser, from opening to published results: the
coordinator opens it (a refusal first) and is shown the count code once, supporters stand and
nominate, the nominee accepts, supporters vote (a refusal for too many choices, then once
each), the worker's tick tells the coordinator the count waits, the coordinator enters the
count code (a wrong one first), and everyone sees the counts, the turnout and the new member on
the committee. Every page checked with axe."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.committee.models import Ballot, Election, Voter
from peersupport.committee.tasks import committee_tick

from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..matrix.committee import active_supporter, seats
from .axe import assert_accessible
from .conftest import open_page


@pytest.fixture(autouse=True)
def committee_seats(personas):
    seats()  # the live server's flush emptied the migration's rows


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_election_from_opening_to_published_results(new_context, sign_in, personas):
    supporter = active_supporter(personas["supporter"])
    # A second supporter, signed in as a persona would be: the panelist, made a supporter.
    colleague = personas["panelist"]
    grant(colleague, "peer_supporter")
    active_supporter(colleague)
    for n in range(2):
        extra = UserFactory(email=f"extra{n}@pd.example.org")
        EmployeeFactory(user=extra, work_email=extra.email)
        enable_totp(extra)
        active_supporter(extra)

    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("committee:current"))
    expect(coord.get_by_role("heading", level=1)).to_have_text("Advisory committee")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Manage seats, members and elections"))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Open an election"))
    assert_accessible(coord)
    now = timezone.now()
    coord.get_by_label("Seats to fill").fill("1")
    coord.get_by_label("Nominations open").fill(_local(now))
    coord.get_by_label("Nominations close").fill(_local(now + timedelta(days=7)))
    coord.get_by_label("Voting opens").fill(_local(now + timedelta(days=7)))
    coord.get_by_label("Voting closes").fill(_local(now + timedelta(days=6)))
    submit(coord, coord.get_by_role("button", name="Open the election"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    expect(coord.locator("[data-error-summary]")).to_contain_text(
        "Voting must close after it opens."
    )
    assert_accessible(coord)
    coord.get_by_label("Voting closes").fill(_local(now + timedelta(days=14)))
    submit(coord, coord.get_by_role("button", name="Open the election"))
    expect(coord.get_by_text("The election is open.")).to_be_visible()
    expect(coord.get_by_role("heading", level=1)).to_have_text("Keep the count code")
    assert_accessible(coord)
    count_code = coord.locator("#count-code").inner_text()  # the coordinator writes it down
    submit(coord, coord.get_by_role("link", name="I have kept the code: go to the election"))
    assert count_code not in coord.content()
    assert_accessible(coord)
    election = Election.objects.get()

    # Nominations: the supporter stands; the colleague nominates... the supporter's colleague.
    sup = as_persona(new_context, sign_in, "supporter")
    sup.goto(reverse("committee:election", args=[election.pk]))
    expect(sup.get_by_text("Nominations are open.")).to_be_visible()
    assert_accessible(sup)
    sup.get_by_label("A few words for the voters (optional)").fill("Every shift deserves us.")
    submit(sup, sup.get_by_role("button", name="Stand for election"))
    expect(sup.get_by_text("You are standing for election.")).to_be_visible()
    assert_accessible(sup)
    sup.get_by_label("Supporter you nominate").select_option(label=str(colleague))
    submit(sup, sup.get_by_role("button", name="Nominate"))
    expect(sup.get_by_text(f"You nominated {colleague}")).to_be_visible()
    assert_accessible(sup)

    col = as_persona(new_context, sign_in, "panelist")
    col.goto(reverse("committee:election", args=[election.pk]))
    expect(col.get_by_role("heading", name="You are nominated")).to_be_visible()
    assert_accessible(col)
    submit(col, col.get_by_role("button", name="Accept and stand"))
    expect(col.get_by_text("You accepted: you are standing for election.")).to_be_visible()
    assert_accessible(col)

    # The clock moves on to the voting window.
    start = timezone.now() - timedelta(days=8)
    Election.objects.filter(pk=election.pk).update(
        nominations_open_at=start,
        nominations_close_at=start + timedelta(days=7),
        voting_open_at=start + timedelta(days=7),
        voting_close_at=timezone.now() + timedelta(days=1),
    )
    sup.goto(reverse("committee:election", args=[election.pk]))
    expect(sup.get_by_text("Voting is open.")).to_be_visible()
    assert_accessible(sup)
    submit(sup, sup.get_by_role("link", name="Vote"))
    assert_accessible(sup)
    sup.get_by_label(str(supporter)).check()
    sup.get_by_label(str(colleague)).check()
    submit(sup, sup.get_by_role("button", name="Cast my ballot"))
    expect(sup.locator("[data-error-summary]")).to_contain_text("Choose at most 1 candidate")
    assert_accessible(sup)
    assert not Ballot.objects.exists()
    sup.get_by_label(str(supporter)).uncheck()
    submit(sup, sup.get_by_role("button", name="Cast my ballot"))
    expect(sup.get_by_text("Your ballot is cast.")).to_be_visible()
    expect(sup.get_by_text("You have voted in this election.")).to_be_visible()
    assert_accessible(sup)

    col.goto(reverse("committee:vote", args=[election.pk]))
    assert_accessible(col)
    col.get_by_label(str(colleague)).check()
    submit(col, col.get_by_role("button", name="Cast my ballot"))
    expect(col.get_by_text("Your ballot is cast.")).to_be_visible()
    assert_accessible(col)
    assert (Ballot.objects.count(), Voter.objects.count()) == (2, 2)

    # Voting closes; the worker's tick cannot count (it has no code): it tells the coordinator.
    Election.objects.filter(pk=election.pk).update(
        voting_close_at=timezone.now() - timedelta(minutes=1)
    )
    assert committee_tick.call()["waiting_for_count"] == 1
    coord.goto(reverse("committee:election", args=[election.pk]))
    expect(coord.get_by_text("Voting has closed; the results are published once")).to_be_visible()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Count the votes"))
    assert_accessible(coord)
    coord.get_by_label("Count code").fill("ABCD-EFGH-IJKL")
    submit(coord, coord.get_by_role("button", name="Count the votes and publish the results"))
    expect(coord.locator("[data-error-summary]")).to_contain_text(
        "This is not the count code of this election."
    )
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    assert_accessible(coord)
    coord.get_by_label("Count code").fill(count_code)
    submit(coord, coord.get_by_role("button", name="Count the votes and publish the results"))
    expect(coord.get_by_text("The votes are counted and the results published.")).to_be_visible()
    assert_accessible(coord)

    emp = as_persona(new_context, sign_in, "employee")
    emp.goto(reverse("committee:election", args=[election.pk]))
    expect(emp.get_by_text("Turnout: 2 ballots from 4 active supporters (50%).")).to_be_visible()
    expect(emp.get_by_role("cell", name="Elected", exact=True)).to_be_visible()
    assert_accessible(emp)
    emp.goto(reverse("committee:current"))
    expect(emp.get_by_role("cell", name=str(colleague))).to_be_visible()
    assert_accessible(emp)
