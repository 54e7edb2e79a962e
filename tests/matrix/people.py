"""Who may use the person picker's search (peersupport/web/people.py ``person_search``): anyone
who may search some pool of ``accounts.selectors.PERSON_POOLS``: an employee (colleagues),
whoever grants roles (accounts), whoever runs outreach (employees). Past the role check, a
pool the person may not search answers 404 (tests/web/test_picker.py)."""

from peersupport.accounts.models import Role

MATRIX = {
    "web:person_search": {
        "GET": frozenset({Role.EMPLOYEE, Role.SYSADMIN, Role.BHS_MANAGER, Role.COORDINATOR}),
    },
}
