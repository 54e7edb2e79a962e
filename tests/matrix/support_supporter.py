"""Who may use the supporter's and the coordinator's support pages
(tests/system/test_authorization_matrix.py). The objects in the URLs belong to the "supporter"
persona, made through the services as in real use."""

from peersupport.accounts.models import Role

_SUPPORTER = frozenset({Role.PEER_SUPPORTER})
_COORDINATOR = frozenset({Role.COORDINATOR})
_SUPPORTER_GET_POST = {"GET": _SUPPORTER, "POST": _SUPPORTER}

MATRIX = {
    "support:inbox": {"GET": _SUPPORTER},
    "support:debrief_ask": {"POST": _SUPPORTER},
    # Action URLs: POST acts; GET (after the ownership check) leads back to the page.
    "support:offer_answer": _SUPPORTER_GET_POST,
    "support:held": _SUPPORTER_GET_POST,
    "support:held_close": _SUPPORTER_GET_POST,
    "support:contact_for_request": _SUPPORTER_GET_POST,
    "support:contact_new": _SUPPORTER_GET_POST,
    "support:followup_done": _SUPPORTER_GET_POST,
    "support:overview": {"GET": _COORDINATOR},
    "support:overdue": {"GET": _COORDINATOR},
    "support:debrief_handled": {"POST": _COORDINATOR},
}


def active_supporter(user):
    """Make ``user`` (who holds the peer-supporter role and has an employee record) an active
    supporter, available now, so that matching offers them requests."""
    from peersupport.roster import services as roster
    from peersupport.roster.models import SupporterProfile

    profile = SupporterProfile.objects.filter(user=user).first() or (
        roster.supporter_profile_create(
            actor=user, user=user, status=SupporterProfile.Status.ACTIVE, reason="test"
        )
    )
    roster.supporter_set_availability(
        actor=user, profile=profile, availability=SupporterProfile.Availability.AVAILABLE
    )
    return profile


def offered_request(supporter, **identity):
    """A family member's request, naming ``supporter``, who is offered it."""
    from peersupport.governance.notice import current_notice
    from peersupport.support import services
    from peersupport.support.models import ContactMethod, RequesterKind

    active_supporter(supporter)
    created = services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        name=identity.get("name", "Pat"),
        contact_method=identity.get("contact_method", ContactMethod.PHONE),
        contact_detail=identity.get("contact_detail", "555 0100 200"),
        best_times=identity.get("best_times", "evenings"),
        supporter=supporter,
        notice_version=current_notice().version,
    )
    return created.request


def pending_offer(supporter):
    req = offered_request(supporter)
    offer = req.offers.get(answer="pending")
    assert offer.supporter_id == supporter.pk, "the named supporter was not offered the request"
    return offer


def held_request(supporter, **identity):
    from peersupport.support import services

    req = offered_request(supporter, **identity)
    offer = req.offers.get(answer="pending", supporter=supporter)
    return services.offer_answer(actor=supporter, offer=offer, accept=True)


def open_followup(supporter):
    from django.utils import timezone

    from peersupport.governance.notice import current_notice
    from peersupport.support import services
    from peersupport.support.models import Contact

    req = held_request(supporter)
    contact = services.contact_log(
        actor=supporter,
        date=timezone.localdate(),
        duration_minutes=30,
        mode=Contact.Mode.PHONE,
        requester_type=Contact.RequesterType.FAMILY,
        topics=[Contact.Topic.GRIEF],
        limits_explained=True,
        notice_version=current_notice().version,
        follow_up_on=timezone.localdate(),
        request=req,
    )
    return contact.followups.get()


def open_debrief(supporter):
    from peersupport.support import services

    return services.debrief_request(actor=supporter)


def _s(dept):
    return dept.users["supporter"]


URL_KWARGS = {
    # Only a serving (active or inactive) supporter logs a contact: make the persona one.
    "support:contact_new": lambda dept: active_supporter(_s(dept)) and {},
    "support:offer_answer": lambda dept: {"offer_id": pending_offer(_s(dept)).pk},
    "support:held": lambda dept: {"request_id": held_request(_s(dept)).pk},
    "support:held_close": lambda dept: {"request_id": held_request(_s(dept)).pk},
    "support:contact_for_request": lambda dept: {"request_id": held_request(_s(dept)).pk},
    "support:followup_done": lambda dept: {"followup_id": open_followup(_s(dept)).pk},
    "support:debrief_handled": lambda dept: {"debrief_id": open_debrief(_s(dept)).pk},
}
