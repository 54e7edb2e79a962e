"""Steps of the system tests that run the worker (test_worker_durability.py,
test_offer_alert_worker.py), each run as its own process against the test's own database
(``python -m tests.worker_scenario <step>``), the way the web process would write: the test
process itself stays out of that database."""

import json
import sys


def main(step: str) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    django.setup()
    from peersupport.accounts.agencies import work_for_default_agency

    # The rows this process makes are the default agency's, as a one-agency install's are.
    work_for_default_agency()
    from datetime import timedelta

    from django.utils import timezone

    from peersupport.confidentiality.models import Escalation
    from peersupport.notifications.models import Notification

    if step == "raise":
        from peersupport.accounts.models import Role, Unit
        from peersupport.confidentiality.services import escalation_raise
        from peersupport.governance.models import ExceptionCategory
        from tests.factories import EmployeeFactory, UserFactory, grant
        from tests.matrix.support_supporter import held_request

        unit = Unit.objects.create(name="HQ", kind=Unit.Kind.DEPARTMENT)
        people = {}
        for name, role in (
            ("supporter", Role.PEER_SUPPORTER),
            ("bhs", Role.BHS_MANAGER),
            ("advocacy", Role.ADVOCACY_SUPERVISOR),
        ):
            user = UserFactory(email=f"{name}@durability.example.org")
            EmployeeFactory(user=user, unit=unit, work_email=user.email)
            grant(user, role)
            people[name] = user
        request = held_request(people["supporter"])
        # The offer's own alert to the supporter is not what this scenario delivers: without
        # its row, its delivery task finds nothing to send.
        Notification.objects.filter(key__startswith="support:").delete()
        escalation = escalation_raise(
            actor=people["supporter"],
            category=ExceptionCategory.objects.get(code="danger-to-others"),
            note="durability note",
            request=request,
        )
        print(json.dumps({"escalation": escalation.pk}))
    elif step == "ask":
        # A family member asks on the public page, as the web process would write it: the
        # request, its offer and the offer's alert (with its delivery task) in one commit.
        from peersupport.accounts.models import Role, Unit
        from peersupport.governance.notice import current_notice
        from peersupport.support.models import ContactMethod, RequesterKind
        from peersupport.support.services import request_create
        from tests.factories import EmployeeFactory, UserFactory, grant
        from tests.matrix.support_supporter import active_supporter

        unit = Unit.objects.create(name="HQ", kind=Unit.Kind.DEPARTMENT)
        people = {}
        for name, role in (("supporter", Role.PEER_SUPPORTER), ("coordinator", Role.COORDINATOR)):
            user = UserFactory(email=f"{name}@offer.example.org")
            EmployeeFactory(user=user, unit=unit, work_email=user.email)
            grant(user, role)
            people[name] = user
        active_supporter(people["supporter"])
        created = request_create(
            requester=None,
            kind=RequesterKind.FAMILY,
            name=sys.argv[2],
            contact_method=ContactMethod.PHONE,
            contact_detail=sys.argv[3],
            best_times=sys.argv[4],
            notice_version=current_notice().version,
        )
        offer = created.request.offers.get()
        print(json.dumps({"offered_to": offer.supporter.email}))
    elif step == "status":
        rows = Notification.objects.order_by("pk").values("key", "status", "attempts")
        print(json.dumps({"notifications": list(rows)}))
    elif step == "due":
        # Time passes with nobody acknowledging: the next round falls due now.
        Escalation.objects.update(next_alert_at=timezone.now() - timedelta(seconds=1))
        print(json.dumps({"ok": True}))
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(sys.argv[1])
