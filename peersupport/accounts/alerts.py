"""What accounts tells the layers above about guarded accounts, without knowing how they tell
people (notifications sit above accounts; peersupport/web/account_alerts.py listens).

An account is *guarded* when it holds, or waits for, a confidential role (models.
CONFIDENTIAL_ROLES). Every grant, second-factor, password and e-mail change on a guarded account
is sent as ``account_changed``; a grant waiting for a second person as ``grant_waiting``. Both
are sent inside the caller's transaction, and carry ids and kinds only.
"""

from django.dispatch import Signal

# The alerts the layers above send about accounts (peersupport/notifications/kinds.py). A
# security change is urgent: if it was not the account's holder, it is a takeover, and someone
# must act within the hour; so one channel always stays on.
KINDS = {
    "accounts/your_account_changed": {
        "label": "A security change on your own account (role, second factor, password, e-mail)",
        "urgent": True,
        "roles": ["peer_supporter", "bhs_manager", "advocacy_supervisor", "coordinator", "chief"],
    },
    "accounts/account_changed": {
        "label": "A security change on an account that reads confidential data",
        "urgent": True,
        "roles": ["bhs_manager"],
    },
    "accounts/grant_waiting": {
        # Waits days for a second person (RoleGrantRequest.PENDING_DAYS), not minutes.
        "label": "A role grant awaits your approval",
        "urgent": False,
        "roles": ["bhs_manager", "chief"],
    },
}

# sender=User; user=the guarded account, change=one of CHANGES, ref=a value that makes the
# alert unique (a grant id, a timestamp), old_email=the address before an e-mail change.
account_changed = Signal()
# sender=RoleGrantRequest; grant_request=the request, approvers=the accounts that may decide.
grant_waiting = Signal()

ROLE_REQUESTED = "role_requested"
ROLE_GRANTED = "role_granted"
MFA_CHANGED = "mfa_changed"
EMAIL_CHANGED = "email_changed"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a kind of change, not a password)
CHANGES = frozenset({ROLE_REQUESTED, ROLE_GRANTED, MFA_CHANGED, EMAIL_CHANGED, PASSWORD_CHANGED})


def send_account_changed(*, user, change: str, ref: str, old_email: str = "") -> None:
    if change not in CHANGES:
        raise ValueError(f"{change} is not an account change")
    account_changed.send(sender=type(user), user=user, change=change, ref=ref, old_email=old_email)


# sender=Employee; employee=the record that became separated, user=its account (or None),
# actor=who made the change (None for the system). Sent inside the change's transaction, before
# the account's remaining roles end, so a domain app applies its own rule first (the roster
# retires a serving supporter as when they leave active status: peersupport/roster/receivers.py).
employee_separated = Signal()
