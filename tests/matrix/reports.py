"""Who may use the program reports (tests/system/test_authorization_matrix.py).

The coordinator, the BHS manager, the Chief and advisory committee members read the dashboard
and export its tables and the program report; what each audience sees is decided by
tests/reports/test_views.py. Nobody else, supporters included, sees any of it.
"""

from peersupport.accounts.models import Role

_READERS = frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF, Role.COMMITTEE_MEMBER})

MATRIX = {
    "reports:dashboard": {"GET": _READERS},
    "reports:report_pdf": {"GET": _READERS},
    "reports:table_csv": {"GET": _READERS},
    # Only the coordinator sees which reporting periods are open and closes them.
    "reports:periods": {"GET": frozenset({Role.COORDINATOR})},
    "reports:period_close": {
        "GET": frozenset({Role.COORDINATOR}),
        "POST": frozenset({Role.COORDINATOR}),
    },
}

URL_KWARGS = {"reports:table_csv": lambda dept: {"slug": "contacts-mode"}}
