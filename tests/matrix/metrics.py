"""The metrics endpoint (web/metrics.py) is for a scraper, never a person: no persona, signed
in or not, gets it with a session (off by default: 404). Its token and network checks are in
tests/web/test_metrics.py."""

from peersupport.accounts.permissions import MACHINE

MATRIX = {"web:metrics": {"GET": frozenset({MACHINE})}}
