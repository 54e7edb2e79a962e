"""Charts as SVG geometry computed on the server: the same markup in the page and the PDF, no
JavaScript, no style attributes (presentation attributes only, so the strict CSP holds). Every
chart sits beside a table of the same numbers, which is what screen readers read."""

from dataclasses import dataclass

BAR_FILL = "#1d5a87"
PREVIOUS_FILL = "#9bb7cc"
WIDTH = 560
LABEL_WIDTH = 210
ROW_HEIGHT = 26


@dataclass
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    prev_width: float
    text_x: float
    text_y: float


@dataclass
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    vertical: bool
    label_x: int
    baseline: float
    fill: str = BAR_FILL
    prev_fill: str = PREVIOUS_FILL


def _text(value) -> str:
    return "not shown" if value is None else f"{value:g}"


def horizontal(title: str, rows: list[tuple[str, float | None, float | None]]) -> Chart:
    """One bar per row (``label``, ``value``, ``previous``); a hidden value draws no bar."""
    top = max([v for _l, v, p in rows for v in (v, p) if v is not None] or [0]) or 1
    span = WIDTH - LABEL_WIDTH - 90
    bars = []
    for i, (label, value, previous) in enumerate(rows):
        y = i * ROW_HEIGHT + 4
        width = 0 if value is None else span * value / top
        bars.append(
            Bar(
                label=label,
                value_text=_text(value),
                x=LABEL_WIDTH,
                y=y,
                width=round(width, 1),
                height=ROW_HEIGHT - 12,
                prev_width=0 if previous is None else round(span * previous / top, 1),
                text_x=round(LABEL_WIDTH + width + 6, 1),
                text_y=y + ROW_HEIGHT - 14,
            )
        )
    return Chart(
        title=title,
        width=WIDTH,
        height=len(rows) * ROW_HEIGHT + 8,
        bars=bars,
        vertical=False,
        label_x=LABEL_WIDTH - 8,
        baseline=0,
    )


def vertical(title: str, rows: list[tuple[str, float | None]]) -> Chart:
    """Columns over time (``label``, ``value``); a hidden value draws no column."""
    top = max([v for _l, v in rows if v is not None] or [0]) or 1
    height = 200
    plot = height - 40
    step = WIDTH / max(len(rows), 1)
    bars = []
    for i, (label, value) in enumerate(rows):
        h = 0 if value is None else plot * value / top
        x = i * step + step * 0.15
        bars.append(
            Bar(
                label=label,
                value_text=_text(value),
                x=round(x, 1),
                y=round(plot - h + 16, 1),
                width=round(step * 0.7, 1),
                height=round(h, 1),
                prev_width=0,
                text_x=round(i * step + step / 2, 1),
                text_y=round(plot - h + 12, 1),
            )
        )
    return Chart(
        title=title,
        width=WIDTH,
        height=height,
        bars=bars,
        vertical=True,
        label_x=0,
        baseline=plot + 16,
    )
