"""The kinds of alert: each app's alerts.KINDS, found without naming any app; every message
template is a kind and every kind has a template; a malformed declaration fails loudly."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from peersupport.accounts.models import Role
from peersupport.notifications import kinds

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "messages"


def _template_names() -> set[str]:
    return {str(p.relative_to(TEMPLATES).with_suffix("")) for p in TEMPLATES.rglob("*.txt")}


def test_every_template_is_a_declared_kind_and_every_kind_has_a_template():
    declared = {k.name for k in kinds.all_kinds()}
    # The gathered message is not a kind: each alert it gathers already was one; nor are a
    # push's fixed words (push/waiting, and push/test for a device's test alert).
    templates = _template_names() - {kinds.COMBINED_MESSAGE, "push/waiting", "push/test"}
    assert templates - declared == set(), "declare these in the app's alerts.py KINDS"
    assert declared - templates == set(), "these kinds have no template"
    assert (TEMPLATES / f"{kinds.COMBINED_MESSAGE}.txt").exists()


def test_kinds_come_from_several_apps_alerts_modules():
    topics = {k.name.split("/")[0] for k in kinds.all_kinds()}
    assert {"accounts", "confidentiality", "selection", "support", "training"} <= topics


def test_escalations_and_account_takeovers_are_urgent_reminders_are_not():
    assert kinds.is_urgent("confidentiality/escalation_waiting")
    assert kinds.is_urgent("accounts/your_account_changed")
    assert kinds.is_urgent("support/requests_waiting")
    assert not kinds.is_urgent("training/session_soon")
    assert not kinds.is_urgent("support/followups_due")
    assert not kinds.is_urgent("no/such_kind")


def test_kinds_for_roles():
    supporter = {k.name for k in kinds.kinds_for({Role.EMPLOYEE, Role.PEER_SUPPORTER})}
    assert "training/session_soon" in supporter
    assert "confidentiality/escalation_waiting" not in supporter
    assert "selection/you_are_nominated" in supporter  # as an employee
    bhs = {k.name for k in kinds.kinds_for({Role.BHS_MANAGER})}
    assert "confidentiality/escalation_waiting" in bhs
    assert "training/session_soon" not in bhs
    assert kinds.kinds_for(set()) == [k for k in kinds.all_kinds() if not k.roles and k.accounts]
    # Sent to people without an account: on nobody's settings page.
    assert not kinds.kind("support/family_reply").concerns({Role.EMPLOYEE})


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(kinds, "_kinds", dict(kinds._kinds))
    return kinds._kinds


@pytest.mark.parametrize(
    ("name", "spec", "problem"),
    [
        ("nofolder", {"label": "x", "urgent": False}, "<topic>/<name>"),
        ("a/b/c", {"label": "x", "urgent": False}, "<topic>/<name>"),
        ("test/x", {"urgent": False}, "needs a label"),
        ("test/x", {"label": " ", "urgent": False}, "needs a label"),
        ("test/x", {"label": "x"}, "needs urgent"),
        ("test/x", {"label": "x", "urgent": "yes"}, "needs urgent"),
        ("test/x", {"label": "x", "urgent": False, "roles": ["pope"]}, "roles must be"),
        ("test/x", {"label": "x", "urgent": False, "roles": "coordinator"}, "roles must be"),
        ("test/x", {"label": "x", "urgent": False, "channel": "sms"}, "unknown keys"),
        ("support/followups_due", {"label": "Other", "urgent": True}, "declared twice"),
    ],
)
def test_a_malformed_declaration_fails_naming_where(registry, name, spec, problem):
    with pytest.raises(ImproperlyConfigured, match=problem) as caught:
        kinds.register_kinds({name: spec}, source="peersupport.test.alerts")
    assert "peersupport.test.alerts" in str(caught.value)


def test_autodiscover_again_changes_nothing(registry):
    before = dict(registry)
    kinds.autodiscover()
    assert registry == before
