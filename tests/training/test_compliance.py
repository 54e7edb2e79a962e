"""Property-based tests of the compliance rules (peersupport/training/compliance.py) over random
attendance histories."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peersupport.training.compliance import (
    SEVERITY,
    Credit,
    Forecast,
    Status,
    quarter_end,
    quarter_of,
    year_compliance,
)

Q = Decimal(8)
INITIAL_HOURS = Decimal(40)
YEAR = 2025

days = st.dates(min_value=datetime.date(2023, 1, 1), max_value=datetime.date(2026, 12, 31))
hours = st.decimals(min_value=0, max_value=8, places=2, allow_nan=False, allow_infinity=False)
credit = st.builds(
    Credit,
    on=days,
    kind=st.sampled_from(["initial", "update", "workshop", "follow_up"]),
    hours=hours,
)
updates = st.lists(st.builds(Credit, on=days, kind=st.just("update"), hours=hours), max_size=30)
histories = st.lists(credit, max_size=40)
todays = st.dates(min_value=datetime.date(YEAR, 1, 1), max_value=datetime.date(YEAR + 1, 2, 1))
trained = st.dates(min_value=datetime.date(2023, 1, 1), max_value=datetime.date(YEAR, 12, 31))


def _initial(on):
    return [Credit(on=on, kind="initial", hours=INITIAL_HOURS)]


def _judge(history, today, year=YEAR):
    return year_compliance(
        history, year=year, today=today, initial_hours=INITIAL_HOURS, quarter_hours=Q
    )


@given(histories, todays)
def test_order_of_the_history_does_not_matter(history, today):
    assert _judge(history, today) == _judge(list(reversed(history)), today)


@given(updates, todays)
def test_without_initial_training_there_is_no_other_status(history, today):
    result = _judge(history, today)
    assert result.status == Status.INITIAL_PENDING
    assert not result.initial_complete


@given(trained, updates, todays)
def test_status_follows_how_far_behind(trained_on, history, today):
    result = _judge(_initial(trained_on) + history, today)
    if trained_on > today:
        assert result.status == Status.INITIAL_PENDING
        return
    assert result.behind >= 0
    assert result.behind == max(result.expected - result.update_hours, 0)
    if result.behind == 0:
        assert result.status == Status.ON_TRACK
    elif result.closed or result.behind > Q:
        assert result.status == Status.OUT_OF_COMPLIANCE
    else:
        assert result.status == Status.QUARTER_MISSED


@given(trained, updates, todays, days, hours)
def test_more_hours_never_make_it_worse(trained_on, history, today, extra_on, extra):
    base = _initial(trained_on) + history
    before = _judge(base, today)
    after = _judge(base + [Credit(on=extra_on, kind="update", hours=extra)], today)
    assert SEVERITY[after.status] <= SEVERITY[before.status]
    assert after.update_hours >= before.update_hours


@given(trained, updates, todays, st.sampled_from(["workshop", "follow_up"]), days, hours)
def test_workshops_add_hours_but_not_compliance(trained_on, history, today, kind, on, extra):
    base = _initial(trained_on) + history
    before = _judge(base, today)
    after = _judge(base + [Credit(on=on, kind=kind, hours=extra)], today)
    assert after.status == before.status
    assert after.update_hours == before.update_hours


@given(trained, updates)
def test_a_closed_year_is_compliant_exactly_when_its_target_is_met(trained_on, history):
    result = _judge(_initial(trained_on) + history, datetime.date(YEAR + 1, 1, 15))
    if result.status == Status.INITIAL_PENDING:
        return
    assert result.closed
    met = result.update_hours >= result.target
    assert (result.status == Status.ON_TRACK) == met
    assert (result.status == Status.OUT_OF_COMPLIANCE) == (not met)


@given(updates, todays)
def test_a_full_year_asks_for_four_quarters(history, today):
    result = _judge(_initial(datetime.date(YEAR - 1, 6, 1)) + history, today)
    assert result.required == (True, True, True, True)
    assert result.target == 4 * Q


@given(trained, updates, todays)
def test_the_quarter_of_initial_training_is_not_required(trained_on, history, today):
    result = _judge(_initial(trained_on) + history, today)
    if trained_on.year == YEAR and trained_on <= today:
        assert not result.required[quarter_of(trained_on) - 1]
        assert all(result.required[quarter_of(trained_on) :])


@given(trained, updates, todays)
@settings(max_examples=300)
def test_following_the_forecast_keeps_the_person_compliant(trained_on, history, today):
    """Whoever attends what the forecast asks, by the day it names, is not out of compliance
    the day after."""
    base = _initial(trained_on) + [c for c in history if c.on <= today]
    result = _judge(base, today)
    if result.forecast is None:
        return
    forecast = result.forecast
    assert forecast.hours > 0
    assert today <= forecast.by == quarter_end(YEAR, forecast.quarter)
    made_up = base + [Credit(on=forecast.by, kind="update", hours=forecast.hours)]
    day_after = forecast.by + datetime.timedelta(days=1)
    assert _judge(made_up, day_after).status != Status.OUT_OF_COMPLIANCE
    # And it is needed: without it, that day finds them out of compliance.
    assert _judge(base, day_after).status == Status.OUT_OF_COMPLIANCE


@given(trained, updates, todays)
def test_nothing_to_forecast_means_done_or_already_out(trained_on, history, today):
    base = _initial(trained_on) + [c for c in history if c.on <= today]
    result = _judge(base, today)
    if result.status == Status.INITIAL_PENDING or result.forecast is not None:
        return
    assert (
        result.closed
        or result.status == Status.OUT_OF_COMPLIANCE
        or result.update_hours >= result.target
    )


def test_one_missed_quarter_then_a_make_up():
    history = _initial(datetime.date(YEAR - 1, 3, 1))
    history.append(Credit(on=datetime.date(YEAR, 2, 10), kind="update", hours=Q))
    # Q2 missed: a quarter missed in July, with the Q3 session needed to stay compliant.
    july = _judge(history, datetime.date(YEAR, 7, 15))
    assert july.status == Status.QUARTER_MISSED
    assert july.forecast.quarter == 3 and july.forecast.hours == Q
    assert july.forecast.text.startswith("Needs the Q3 update to stay compliant")
    # Two sessions in Q3 bring them back on track.
    history += [
        Credit(on=datetime.date(YEAR, 7, 20), kind="update", hours=Q),
        Credit(on=datetime.date(YEAR, 8, 20), kind="update", hours=Q),
    ]
    assert _judge(history, datetime.date(YEAR, 10, 2)).status == Status.ON_TRACK
    # Q4 missed: the year closes out of compliance.
    assert _judge(history, datetime.date(YEAR + 1, 1, 2)).status == Status.OUT_OF_COMPLIANCE


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        ("1", "1 more hour by"),
        ("1.0", "1 more hour by"),
        ("0.5", "0.5 more hours by"),
        ("8", "8 more hours by"),
    ],
)
def test_the_forecast_says_hour_for_one_hour(hours, said):
    forecast = Forecast(quarter=4, by=datetime.date(2026, 12, 31), hours=Decimal(hours))
    assert forecast.text == f"Needs the Q4 update to stay compliant: {said} 31 December 2026."
