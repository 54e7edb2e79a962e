"""Who may use the release pages (tests/system/test_authorization_matrix.py). The release in the
URLs is held by the "supporter" persona, made through the services as in real use, and names the
BHS manager among those who may disclose, so the BHS manager reaches every page of it.

The peer supporter holding a release records, opens, prints, revokes and ends it, and records
disclosures; the BHS manager reads the accounting of every release and records disclosures
where the person allowed it. Past the role check the object decides
(tests/system/test_object_access.py).
"""

import io

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import PUBLIC

_SUPPORTER = frozenset({Role.PEER_SUPPORTER})
_READERS = frozenset({Role.PEER_SUPPORTER, Role.BHS_MANAGER})
_BHS = frozenset({Role.BHS_MANAGER})
_EMP = frozenset({Role.EMPLOYEE})
_PUBLIC = frozenset({PUBLIC})

MATRIX = {
    "releases:mine": {"GET": _SUPPORTER},
    "releases:for_request": {"GET": _SUPPORTER},
    "releases:create": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "releases:detail": {"GET": _READERS},
    "releases:pdf": {"GET": _READERS},
    "releases:signature": {"GET": _READERS},
    "releases:disclose": {"GET": _READERS, "POST": _READERS},
    # Action URLs: POST acts; GET (after the ownership check) leads back to the release.
    "releases:revoke": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "releases:end": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "releases:accounting": {"GET": _BHS},
    # The person's own releases, from their request page: with their account (an employee;
    # past the role check only their own release is found, else 404) or with their codename
    # (public; only a release of the request this browser opened, else 404).
    "releases:mine_pdf": {"GET": _EMP},
    "releases:mine_revoke": {"GET": _EMP, "POST": _EMP},
    "releases:codename_pdf": {"GET": _PUBLIC},
    "releases:codename_revoke": {"GET": _PUBLIC, "POST": _PUBLIC},
}
OBJECT_SCOPED = {
    "releases:mine_pdf",
    "releases:mine_revoke",
    "releases:codename_pdf",
    "releases:codename_revoke",
}


def signature_png(width: int = 300, height: int = 100, *, blank: bool = False) -> bytes:
    """A drawn signature as the signature pad sends it: a transparent PNG with a stroke."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if not blank:
        draw = ImageDraw.Draw(image)
        draw.line(
            [(10, height - 20), (width // 3, 15), (width // 2, height - 25), (width - 10, 20)]
        )
        draw.line([(20, height - 10), (width - 20, height - 12)], fill=(17, 17, 17, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


RELEASE_DEFAULTS = {
    "person_name": "Pat Quill",
    "items": ["Dates of my peer support contacts in 2026", "That I was referred to the EAP"],
    "recipients": ["Dr. Lee Park, City EAP", "Sgt. Dana Ruiz, Wellness Unit"],
    "purpose": "To arrange my return-to-duty support plan",
    "right_to_revoke_explained": True,
    "expiry_event": "",
    "signature_kind": "drawn",
}


def signed_release(supporter, req=None, **overrides):
    """A release recorded through the service for a request ``supporter`` holds."""
    from datetime import timedelta

    from django.utils import timezone

    from peersupport.releases import services
    from peersupport.releases.models import Release

    from .support_supporter import held_request

    if req is None:
        req = held_request(supporter)
    today = timezone.localdate()
    kwargs = {
        **RELEASE_DEFAULTS,
        "disclosers": Release.Disclosers.SUPPORTER_AND_BHS,
        "expires_on": today + timedelta(days=90),
        "signed_on": today,
        "signature": signature_png(),
        **overrides,
    }
    return services.release_create(actor=supporter, request=req, **kwargs)


def _release(dept):
    return {"release_id": signed_release(dept.users["supporter"]).pk}


def _request(dept):
    from .support_supporter import held_request

    return {"request_id": held_request(dept.users["supporter"]).pk}


def _own_release(dept):
    return {"release_id": own_release(dept.users["employee"]).pk}


def own_release(requester, supporter=None):
    """A release for a request ``requester`` (an employee) made with their account, held and
    recorded by ``supporter`` (a new active supporter if none is given)."""
    from peersupport.governance.notice import current_notice
    from peersupport.support import services
    from peersupport.support.models import ContactMethod, RequesterKind

    from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
    from .support_supporter import active_supporter

    if supporter is None:
        supporter = UserFactory()
        enable_totp(supporter)
        grant(supporter, Role.PEER_SUPPORTER)
        EmployeeFactory(user=supporter, work_email=supporter.email)
    active_supporter(supporter)
    req = services.request_create(
        requester=requester,
        kind=RequesterKind.EMPLOYEE,
        contact_method=ContactMethod.MESSAGES,
        supporter=supporter,
        notice_version=current_notice().version,
    ).request
    offer = req.offers.get(answer="pending", supporter=supporter)
    req = services.offer_answer(actor=supporter, offer=offer, accept=True)
    return signed_release(supporter, req)


URL_KWARGS = {
    "releases:mine_pdf": _own_release,
    "releases:mine_revoke": _own_release,
    # Any id: this browser opened no request with a codename, so every one is 404.
    "releases:codename_pdf": lambda dept: {"release_id": 1},
    "releases:codename_revoke": lambda dept: {"release_id": 1},
    "releases:for_request": _request,
    "releases:create": _request,
    "releases:detail": _release,
    "releases:pdf": _release,
    "releases:signature": _release,
    "releases:disclose": _release,
    "releases:revoke": _release,
    "releases:end": _release,
}


# For tests/system/test_object_access.py: url name -> (make the object for a supporter, URL kwarg).
def _held_request(user):
    from .support_supporter import held_request

    return held_request(user)


OWNED = {
    "releases:for_request": (_held_request, "request_id"),
    "releases:create": (_held_request, "request_id"),
    **{
        f"releases:{name}": (signed_release, "release_id")
        for name in ("detail", "pdf", "signature", "disclose", "revoke", "end")
    },
}
