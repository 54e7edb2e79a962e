"""Property-based tests of the forecasts that know the sessions on offer
(peersupport/training/rules.py: need_of, allocate, gaps) and of the compliance rule that hours of
the quarter under way meet that quarter first, over random histories, random offers and random
"today" dates around quarter ends, year ends and 29 February."""

import calendar
import datetime
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from peersupport.training.compliance import Credit, Status, quarter_of, year_compliance
from peersupport.training.rules import Gap, Need, Offer, allocate, gaps, need_of

Q = Decimal(8)
INITIAL_HOURS = Decimal(40)
YEARS = range(2023, 2030)  # 2024 and 2028 are leap years


def _boundaries(year: int) -> list[datetime.date]:
    days = [(1, 1), (2, 28), (3, 1), (3, 31), (4, 1), (6, 30), (7, 1), (9, 30), (10, 1), (12, 31)]
    if calendar.isleap(year):
        days.append((2, 29))
    return [datetime.date(year, m, d) for m, d in days]


@st.composite
def todays(draw) -> datetime.date:
    base = draw(st.sampled_from([d for y in YEARS for d in _boundaries(y)]))
    return base + datetime.timedelta(days=draw(st.integers(min_value=-3, max_value=3)))


def _judge(history, today, year=None):
    return year_compliance(
        history,
        year=year or today.year,
        today=today,
        initial_hours=INITIAL_HOURS,
        quarter_hours=Q,
    )


hours = st.sampled_from([Decimal(0), Decimal(2), Decimal(4), Decimal(8), Decimal(12)])


@st.composite
def situations(draw):
    """A trained person's update hours up to ``today`` in today's year, and the update
    session days on offer after ``today`` (to some days into the next year)."""
    today = draw(todays())
    year = today.year
    trained = draw(
        st.dates(min_value=datetime.date(year - 2, 1, 1), max_value=datetime.date(year, 12, 31))
    )
    assume(trained <= today)
    history = [Credit(on=trained, kind="initial", hours=INITIAL_HOURS)]
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        on = draw(st.dates(min_value=datetime.date(year, 1, 1), max_value=today))
        history.append(Credit(on=on, kind="update", hours=draw(hours)))
    offers = []
    for session in range(draw(st.integers(min_value=0, max_value=6))):
        first = today + datetime.timedelta(days=draw(st.integers(min_value=1, max_value=200)))
        free = draw(st.integers(min_value=0, max_value=3))
        for day in range(draw(st.integers(min_value=1, max_value=2))):
            offers.append(
                Offer(
                    session=session,
                    on=first + datetime.timedelta(days=day),
                    hours=draw(st.sampled_from([Decimal(4), Decimal(8)])),
                    free=free,
                )
            )
    held = draw(st.frozensets(st.integers(min_value=0, max_value=5), max_size=2))
    return today, history, offers, held


def _attend(history, days):
    return history + [Credit(on=d.on, kind="update", hours=d.hours) for d in days]


def _everything_open(offers, need: Need, *, by: datetime.date):
    """The longest day open to the person on each date up to ``by``: the most they could get."""
    best = {}
    for offer in offers:
        if offer.on > by or (offer.session not in need.held and offer.free <= 0):
            continue
        if offer.on not in best or offer.hours > best[offer.on].hours:
            best[offer.on] = offer
    return list(best.values())


@given(situations())
@settings(max_examples=400, deadline=None)
def test_a_person_told_they_can_meet_the_year_does_by_attending_what_is_on_offer(situation):
    today, history, offers, held = situation
    result = _judge(history, today)
    need = need_of(1, result, held=held)
    if need is None:
        assert result.closed or result.update_hours >= result.target
        return
    allocation = allocate([need], offers)[0]
    year_end = datetime.date(today.year, 12, 31)
    new_year = year_end + datetime.timedelta(days=1)
    # Every day given is real: on offer, after today, before the deadline, one per date.
    assert all(d in offers and today < d.on <= year_end for d in allocation.days)
    assert len({d.on for d in allocation.days}) == len(allocation.days)
    assert all(d.session in held or d.free > 0 for d in allocation.days)
    closed = _judge(_attend(history, allocation.days), new_year, year=today.year)
    if allocation.cannot_meet_year:
        assert allocation.text
        # Not even everything open to them would do.
        everything = _everything_open(offers, need, by=year_end)
        closed_anyway = _judge(_attend(history, everything), new_year, year=today.year)
        assert closed_anyway.status == Status.OUT_OF_COMPLIANCE
    else:
        assert closed.status == Status.ON_TRACK
    if need.soon_by is not None:
        after = need.soon_by + datetime.timedelta(days=1)
        kept = _judge(_attend(history, allocation.days), after, year=today.year)
        if allocation.soon_short == 0:
            assert kept.status != Status.OUT_OF_COMPLIANCE
        else:
            everything = _everything_open(offers, need, by=need.soon_by)
            lost = _judge(_attend(history, everything), after, year=today.year)
            assert lost.status == Status.OUT_OF_COMPLIANCE


@given(situations())
@settings(max_examples=300, deadline=None)
def test_on_track_never_hides_a_year_that_will_end_short(situation):
    """ "On track" promises the year with one quarter's hours per quarter still to end (less
    what this quarter has already had): never more is needed."""
    today, history, _offers, _held = situation
    result = _judge(history, today)
    if result.status != Status.ON_TRACK:
        return
    under_way = quarter_of(today) - 1
    to_end = sum(1 for i in range(under_way, 4) if result.required[i])
    this_quarter = result.quarter_hours[under_way] if result.required[under_way] else Decimal(0)
    still_needed = result.target - result.update_hours
    assert still_needed <= Q * to_end - min(this_quarter, Q)


@st.composite
def crowds(draw):
    """Several people needing hours before deadlines, and a few sessions with few places."""
    year = draw(st.sampled_from(list(YEARS)))
    ends = [datetime.date(year, m, d) for m, d in ((3, 31), (6, 30), (9, 30))]
    offers = []
    for session in range(draw(st.integers(min_value=0, max_value=5))):
        on = draw(
            st.dates(min_value=datetime.date(year, 1, 2), max_value=datetime.date(year, 12, 31))
        )
        offers.append(
            Offer(
                session=session,
                on=on,
                hours=Decimal(8),
                free=draw(st.integers(min_value=0, max_value=3)),
            )
        )
    needs = []
    for person in range(draw(st.integers(min_value=0, max_value=8))):
        soon = draw(st.sampled_from([None, *ends]))
        needs.append(
            Need(
                person=person,
                by=datetime.date(year, 12, 31),
                hours=draw(st.sampled_from([Decimal(8), Decimal(16), Decimal(24)])),
                held=draw(st.frozensets(st.integers(min_value=0, max_value=4), max_size=1)),
                soon_by=soon,
                soon_hours=Decimal(8) if soon else Decimal(0),
            )
        )
    return needs, offers


@given(crowds())
@settings(max_examples=300, deadline=None)
def test_the_board_shares_places_it_has_and_asks_for_the_rest(crowd):
    needs, offers = crowd
    allocations = allocate(needs, offers)
    assert sorted(a.need.person for a in allocations) == [n.person for n in needs]
    # No session gives more free places than it has (a place held is not a free one).
    for session in {o.session for o in offers}:
        free = min(o.free for o in offers if o.session == session)
        newcomers = [
            a
            for a in allocations
            if session not in a.need.held and any(d.session == session for d in a.days)
        ]
        assert len(newcomers) <= free
    for a in allocations:
        assert len({d.on for d in a.days}) == len(a.days)
        assert all(d.on <= a.need.by for d in a.days)
        got = a.hours
        assert a.year_short == max(a.need.hours - got, 0)
    # What to schedule covers everyone short, and only them.
    listed = gaps(allocations)
    short = [a for a in allocations if a.soon_short > 0 or a.year_short > 0]
    assert sum(g.people for g in listed) >= len(short)
    assert all(g.hours > 0 and g.people > 0 for g in listed)
    assert (not listed) == (not short)


def test_missed_q2_attended_q3_and_q4_is_a_quarter_missed_and_told_what_is_missing():
    """The issue's case: Q2 missed, one session in each of Q3 and Q4; in December, no update
    session before 15 January (and that one is full)."""
    history = [
        Credit(on=datetime.date(2023, 3, 1), kind="initial", hours=INITIAL_HOURS),
        Credit(on=datetime.date(2025, 2, 10), kind="update", hours=Q),
        Credit(on=datetime.date(2025, 8, 10), kind="update", hours=Q),
        Credit(on=datetime.date(2025, 10, 10), kind="update", hours=Q),
    ]
    december = _judge(history, datetime.date(2025, 12, 1))
    assert december.status == Status.QUARTER_MISSED
    assert december.behind == Q
    january_full = Offer(session=1, on=datetime.date(2026, 1, 15), hours=Q, free=0)
    need = need_of(7, december)
    assert need.hours == Q and need.by == datetime.date(2025, 12, 31)
    [alone] = allocate([need], [january_full])
    assert alone.cannot_meet_year
    assert alone.text == (
        "Cannot meet the year with the sessions scheduled: 8 update hours short by "
        "31 December 2025."
    )
    # Six such people: the board asks for 8 hours before 31 December for six.
    six = [need_of(n, december) for n in range(6)]
    assert gaps(allocate(six, [january_full])) == [
        Gap(by=datetime.date(2025, 12, 31), hours=Q, people=6)
    ]
    # A December session with four free places: two still need one.
    december_session = Offer(session=2, on=datetime.date(2025, 12, 9), hours=Q, free=4)
    assert gaps(allocate(six, [january_full, december_session])) == [
        Gap(by=datetime.date(2025, 12, 31), hours=Q, people=2)
    ]
    # Two sessions in Q4 make the missed quarter up: on track.
    made_up = history + [Credit(on=datetime.date(2025, 11, 5), kind="update", hours=Q)]
    assert _judge(made_up, datetime.date(2025, 12, 1)).status == Status.ON_TRACK


def test_a_quarter_deadline_comes_before_the_year():
    """Q2 missed and nothing yet in Q3 on 1 September 2024: the end of Q3 would put them out,
    so the board asks for hours before 30 September first, then for the rest of the year."""
    history = [
        Credit(on=datetime.date(2023, 3, 1), kind="initial", hours=INITIAL_HOURS),
        Credit(on=datetime.date(2024, 2, 29), kind="update", hours=Q),
    ]
    today = datetime.date(2024, 9, 1)
    result = _judge(history, today)
    assert result.status == Status.QUARTER_MISSED
    need = need_of(1, result)
    assert need.soon_by == datetime.date(2024, 9, 30) and need.soon_hours == Q
    november = Offer(session=1, on=datetime.date(2024, 11, 12), hours=Q, free=5)
    [allocation] = allocate([need], [november])
    # The year asks 24 more hours (Q2 to make up, Q3, Q4); November gives 8.
    assert allocation.soon_short == Q and allocation.year_short == 2 * Q
    assert allocation.text.startswith("Cannot stay in compliance with the sessions scheduled")
    assert gaps([allocation]) == [
        Gap(by=datetime.date(2024, 9, 30), hours=Q, people=1),
        Gap(by=datetime.date(2024, 12, 31), hours=Q, people=1),
    ]
