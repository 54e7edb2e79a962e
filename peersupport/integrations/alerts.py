"""The alert sent when an integration token that reads people's records by name, or changes
them, is made (registry ``names_people``): one system administrator could otherwise read every
supporter's training by name, which no person of the program may. The BHS managers, and for
``training.read`` the coordinator, who alone may export training, hear of it at once.

Content-free, as every alert: no label, scope, key or name; the BHS managers' link is the audit
log, where the event ``api.token_created`` says which token; the coordinator, who does not read
the audit log, is told to ask them.
"""

from peersupport.accounts.models import Role

KINDS = {
    "integrations/people_token_made": {
        "label": "An integration token that reads or changes people's records was made",
        # As a security change on a guarded account: one channel always stays on.
        "urgent": True,
        "roles": ["bhs_manager", "coordinator"],
    },
}

# The scope whose token also alerts the coordinator (training/api.py's TRAINING_READ; the
# kernel names it rather than import a domain app).
TRAINING_READ = "training.read"


def recipients(scopes) -> list:
    """The accounts told of a token holding ``scopes``, with the link each may follow: the BHS
    managers the audit log; the coordinator, for training.read, no link they could not open."""
    from peersupport.accounts.selectors import role_holders
    from peersupport.integrations.registry import naming_people
    from peersupport.notifications.messages import site_link

    people = naming_people(scopes)
    if not people:
        return []
    managers = role_holders(Role.BHS_MANAGER)
    told = [(user, site_link("audit:event_list")) for user in managers]
    if TRAINING_READ in people:
        seen = {user.pk for user in managers}
        told += [(u, "") for u in role_holders(Role.COORDINATOR) if u.pk not in seen]
    return told


def people_token_made(token) -> int:
    """Alert those ``recipients`` names about ``token``; call inside the transaction that made
    it, so the alert and the token are kept or lost together. Returns how many were told."""
    from peersupport.notifications.messages import notify_message

    told = recipients(token.scopes)
    for user, link in told:
        notify_message(
            key=f"integrations:people_token_made:{token.pk}:{user.pk}",
            user=user,
            message="integrations/people_token_made",
            link=link,
        )
    return len(told)
