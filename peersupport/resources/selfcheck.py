"""The private self-check: the questions, their answers' points and the published cut-offs.

Pure data, read by the page's template; the page's own script (static/js/self-check.js) adds
the points up in the browser from the ``value`` of each answer and the cut-offs written into
the page, so these numbers live in one place. Nothing here is ever sent back to the server.

The instruments are validated and free to reproduce (docs/self-check.md gives the sources):

- PHQ-4 (Kroenke, Spitzer, Williams and Löwe 2009): four items, 0 to 3 points each. Total
  0-2 none to minimal, 3-5 mild, 6-8 moderate, 9-12 severe distress; the anxiety pair (items 1
  and 2, the GAD-2) and the mood pair (items 3 and 4, the PHQ-2) each flag at 3 or more.
  Pfizer, which holds the copyright, lets anyone reproduce the PHQ screeners without charge.
- PC-PTSD-5 (Prins et al. 2016, US VA National Center for PTSD): a yes/no question about a
  traumatic event, then five yes/no items about the past month; a "no" to the first question
  scores 0. Three or more "yes" answers flag, the cut-off the National Center for PTSD gives.

The wording of every item is the instrument's own; do not edit it without the source in hand.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    # Which of the PHQ-4's two pairs the item belongs to ("anxiety" or "mood").
    pair: str = ""


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str
    text: str


@dataclass(frozen=True)
class Instrument:
    key: str
    heading: str
    name: str
    stem: str
    options: tuple[tuple[str, int], ...]
    items: tuple[Item, ...]
    licence: str


FREQUENCY = (
    ("Not at all", 0),
    ("Several days", 1),
    ("More than half the days", 2),
    ("Nearly every day", 3),
)
YES_NO = (("Yes", 1), ("No", 0))

PHQ4 = Instrument(
    key="phq4",
    heading="Mood and worry",
    name="PHQ-4",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    options=FREQUENCY,
    items=(
        Item("phq4-1", "Feeling nervous, anxious or on edge", pair="anxiety"),
        Item("phq4-2", "Not being able to stop or control worrying", pair="anxiety"),
        Item("phq4-3", "Little interest or pleasure in doing things", pair="mood"),
        Item("phq4-4", "Feeling down, depressed, or hopeless", pair="mood"),
    ),
    licence=(
        "PHQ-4: Kroenke, Spitzer, Williams and Löwe (2009). Developed with an educational grant "
        "from Pfizer Inc., which makes the PHQ screeners free to use and reproduce, with no "
        "permission needed."
    ),
)
PHQ4_MAX = 12
# Each pair of items scores 0 to 6; 3 or more is where a closer look is suggested.
PHQ4_PAIR_FLAG = 3
PHQ4_BANDS = (
    Band(0, 2, "none or minimal", "Your answers show few or no signs of distress right now."),
    Band(3, 5, "mild", "Your answers show mild distress."),
    Band(6, 8, "moderate", "Your answers show moderate distress."),
    Band(9, 12, "severe", "Your answers show severe distress."),
)
# From this total on (the mild band), the result suggests talking to someone.
PHQ4_DISTRESS_FROM = PHQ4_BANDS[1].low
# From this total on (the severe band), the crisis lines come first in the result.
PHQ4_CRISIS_FROM = PHQ4_BANDS[3].low

# The PC-PTSD-5's first question, with its introduction and examples as published.
PCPTSD5_EVENT_INTRO = (
    "Sometimes things happen to people that are unusually or especially frightening, horrible, "
    "or traumatic. For example:"
)
PCPTSD5_EVENT_EXAMPLES = (
    "a serious accident or fire",
    "a physical or sexual assault or abuse",
    "an earthquake or flood",
    "a war",
    "seeing someone be killed or seriously injured",
    "having a loved one die through homicide or suicide.",
)
PCPTSD5_EVENT = Item("pcptsd5-event", "Have you ever experienced this kind of event?")
PCPTSD5 = Instrument(
    key="pcptsd5",
    heading="After a hard event",
    name="PC-PTSD-5",
    stem="In the past month, have you…",
    options=YES_NO,
    items=(
        Item(
            "pcptsd5-1",
            "had nightmares about the event(s) or thought about the event(s) when you did not "
            "want to?",
        ),
        Item(
            "pcptsd5-2",
            "tried hard not to think about the event(s) or went out of your way to avoid "
            "situations that reminded you of the event(s)?",
        ),
        Item("pcptsd5-3", "been constantly on guard, watchful, or easily startled?"),
        Item("pcptsd5-4", "felt numb or detached from people, activities, or your surroundings?"),
        Item(
            "pcptsd5-5",
            "felt guilty or unable to stop blaming yourself or others for the event(s) or any "
            "problems the event(s) may have caused?",
        ),
    ),
    licence=(
        "PC-PTSD-5: Prins, Bovin, Kimerling, Kaloupek, Marx, Pless Kaiser and Schnurr (2016), "
        "US Department of Veterans Affairs, National Center for PTSD, which publishes it free "
        "for anyone to use."
    ),
)
PCPTSD5_MAX = 5
PCPTSD5_FLAG = 3

INSTRUMENTS = (PHQ4, PCPTSD5)


def phq4_band(total: int) -> Band:
    """The PHQ-4 band a total falls in (the script does the same in the browser)."""
    for band in PHQ4_BANDS:
        if band.low <= total <= band.high:
            return band
    raise ValueError(f"a PHQ-4 total is 0 to {PHQ4_MAX}, not {total}")
