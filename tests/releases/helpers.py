"""Shared by the release tests: the default elements, another supporter, URLs, audit events."""

from django.urls import reverse

from peersupport.audit.models import AuditEvent
from peersupport.releases.models import Release

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..matrix.releases import RELEASE_DEFAULTS
from ..matrix.support_supporter import active_supporter

D = Release.Disclosers
ITEMS = RELEASE_DEFAULTS["items"]
RECIPIENTS = RELEASE_DEFAULTS["recipients"]
PURPOSE = RELEASE_DEFAULTS["purpose"]


def other_supporter(dept, name="riley"):
    from peersupport.accounts.models import Role

    user = UserFactory(email=f"{name}@pd.example.org", display_name=name.title())
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    enable_totp(user)
    active_supporter(user)
    return user, signed_in_client(user)


def detail_url(release) -> str:
    return reverse("releases:detail", kwargs={"release_id": release.pk})


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))
