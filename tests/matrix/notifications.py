"""Who may use the alert settings page (peersupport/web/alert_settings.py): every signed-in
person, for their own settings only (the page reads and writes ``request.user``'s)."""

from peersupport.accounts.permissions import SIGNED_IN

MATRIX = {
    "web:alert_settings": {"GET": frozenset({SIGNED_IN}), "POST": frozenset({SIGNED_IN})},
}
