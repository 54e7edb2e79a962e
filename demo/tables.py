"""The demo's literal tables, kept as data files in ``demo/data/``: ``load("units")`` reads
``data/units.json`` (or ``data/units.csv``, as a list of dicts, one per row), once per process."""

import csv
import functools
import json
from importlib import resources


@functools.cache
def load(name: str):
    """The table ``name``: parsed JSON, or a CSV file's rows as dicts of strings. Cached: treat
    the result as read-only."""
    folder = resources.files(__package__) / "data"
    json_file = folder / f"{name}.json"
    if json_file.is_file():
        return json.loads(json_file.read_text(encoding="utf-8"))
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))
