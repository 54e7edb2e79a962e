"""Policy work waiting for a person, on the home page (web.waiting)."""

from django.db.models import Count, Min
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.web.waiting import Waiting

from .models import PolicyAcknowledgement, PolicyDocument, PolicyVersion
from .selectors import current_version


def for_person(user) -> list[Waiting]:
    found = []
    roles = user.roles
    if Role.CHIEF in roles:
        submitted = PolicyVersion.objects.filter(status=PolicyVersion.Status.SUBMITTED).aggregate(
            n=Count("pk"), since=Min("submitted_at"), one=Min("pk")
        )
        if submitted["n"]:
            n = submitted["n"]
            found.append(
                Waiting(
                    "A policy version waits for your approval"
                    if n == 1
                    else f"{n} policy versions wait for your approval",
                    # One: straight to it, where it is read and decided.
                    reverse("governance:version", args=[submitted["one"]])
                    if n == 1
                    else reverse("governance:list"),
                    submitted["since"],
                    n,
                )
            )
    if Role.PEER_SUPPORTER in roles:
        version = current_version(PolicyDocument.Kind.PROGRAM_POLICY)
        if (
            version is not None
            and not PolicyAcknowledgement.objects.filter(user=user, version=version).exists()
        ):
            found.append(
                Waiting(
                    "The program policy waits for your acknowledgement",
                    reverse("governance:current"),
                    version.effective_date,
                )
            )
    return found
