"""PDFs: the confidentiality notice in force, public like the pages requesters read it on, and
any policy version for those who may read it (audited). The PDFs are really rendered by
WeasyPrint; their text is checked in the HTML that went into them."""

import datetime
from unittest import mock

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import defaults, selectors, services
from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion
from peersupport.governance.notice import _DEFAULT
from tests.matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db
Kind = PolicyDocument.Kind


@pytest.fixture(autouse=True)
def installed(db):
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )


class Printed:
    """What went into the PDF: the HTML WeasyPrint rendered, alongside the response."""

    def __init__(self):
        self.html: list[str] = []

    def __call__(self, template, context):
        html = render_to_string(template, context)
        self.html.append(html)
        return html

    @property
    def text(self) -> str:
        return "".join(self.html)


def get_pdf(client, url):
    printed = Printed()
    with mock.patch("peersupport.web.pdf.render_to_string", side_effect=printed):
        resp = client.get(url)
    return resp, printed


def assert_pdf(resp, filename: str) -> None:
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-")
    assert resp.content.rstrip().endswith(b"%%EOF")
    assert resp["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in resp["Cache-Control"]


def notice_version(personas, **content) -> PolicyVersion:
    content = {"intro": "A new intro.", "closing": "A new closing."} | content
    version = services.policy_version_draft(
        actor=personas["bhs_manager"],
        document=PolicyDocument.objects.get(kind=Kind.CONFIDENTIALITY_NOTICE),
        effective_date=timezone.localdate(),
        **content,
    )
    return version


def approve(personas, version: PolicyVersion) -> PolicyVersion:
    services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    return services.policy_version_approve(actor=personas["chief"], version=version)


# --- The notice in force: public ------------------------------------------------------------


def test_anyone_downloads_the_notice_in_force_without_an_account(db):
    client = Client()
    events = AuditEvent.objects.count()
    resp, printed = get_pdf(client, reverse("governance:notice_pdf"))
    assert_pdf(resp, "confidentiality-notice-program-default-1.pdf")
    assert _DEFAULT.intro in printed.text
    for line in _DEFAULT.exceptions:
        assert line in printed.text
    assert _DEFAULT.closing in printed.text
    assert "version 1, in force since" in printed.text
    assert "Reference: program-default-1" in printed.text
    # Public and anonymous: no session is started and nothing about the reader is recorded.
    assert not client.cookies
    assert AuditEvent.objects.count() == events


def test_the_notice_pdf_follows_the_approved_version(personas, client):
    ExceptionCategory.objects.create(
        code="state-law", name="State reporting law", explanation="As the law says.", action="x"
    )
    version = approve(personas, notice_version(personas))
    resp, printed = get_pdf(client, reverse("governance:notice_pdf"))
    assert_pdf(resp, "confidentiality-notice-v2.pdf")
    assert "A new intro." in printed.text and "A new closing." in printed.text
    assert "State reporting law: As the law says." in printed.text
    assert f"version {version.number}, in force since" in printed.text


def test_without_an_approved_notice_the_built_in_one_is_printed(client):
    PolicyVersion.objects.filter(document__kind=Kind.CONFIDENTIALITY_NOTICE).update(
        status=PolicyVersion.Status.DRAFT
    )
    resp, printed = get_pdf(client, reverse("governance:notice_pdf"))
    assert_pdf(resp, "confidentiality-notice-program-default-1.pdf")
    assert _DEFAULT.intro in printed.text
    assert "in force since" not in printed.text


@pytest.mark.parametrize("persona", [None, "employee", "supporter"])
def test_the_notice_links_to_its_pdf_where_it_is_shown(client_for, client, personas, persona):
    if persona == "supporter":
        active_supporter(personas["supporter"])  # only a serving supporter gets the contact form
        page = client_for("supporter").get(reverse("support:contact_new"))
    elif persona == "employee":
        page = client_for("employee").get(reverse("support:ask"))
    else:
        page = client.get(reverse("support:public_ask"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse("governance:notice_pdf")}"' in html
    assert "Download this notice (PDF)" in html


# --- Policy versions: the readers of the version --------------------------------------------


@pytest.mark.parametrize("persona", ["bhs_manager", "chief", "coordinator"])
def test_policy_readers_print_any_version_and_it_is_audited(personas, client_for, persona):
    version = notice_version(personas)
    c = client_for(persona)
    resp, printed = get_pdf(c, reverse("governance:version_pdf", args=[version.pk]))
    assert_pdf(resp, "confidentiality-notice-v2.pdf")
    assert "Confidentiality notice, version 2" in printed.text
    assert "Not in force: this version is draft, not approved." in printed.text
    assert "A new intro." in printed.text
    event = AuditEvent.objects.filter(action=AuditAction.POLICY_PDF).get()
    assert event.actor_id == personas[persona].pk
    assert event.target_id == str(version.pk)
    assert event.details == {"document": Kind.CONFIDENTIALITY_NOTICE, "number": 2}


def test_an_approved_version_shows_status_number_date_and_approval(personas, client_for):
    later = timezone.localdate() + datetime.timedelta(days=7)
    version = services.policy_version_draft(
        actor=personas["bhs_manager"],
        document=PolicyDocument.objects.get(kind=Kind.PROGRAM_POLICY),
        effective_date=later,
        body="Thirty-two hours a year.",
    )
    version = approve(personas, version)
    resp, printed = get_pdf(
        client_for("bhs_manager"), reverse("governance:version_pdf", args=[version.pk])
    )
    assert_pdf(resp, "program-policy-v2.pdf")
    text = printed.text
    assert "Peer Support Program policy, version 2" in text
    assert "<dt>Status</dt><dd>Approved</dd>" in text
    assert "2 (policy-v2)" in text
    assert f"<dt>Takes effect</dt><dd>{later:%-d %B %Y}</dd>" in text
    assert "<dt>Approved by</dt><dd>Chief" in text
    assert f"Not in force yet: approved, it takes effect on {later:%-d %B %Y}" in text
    assert "Thirty-two hours a year." in text


def test_the_version_in_force_says_so(client_for):
    current = selectors.current_version(Kind.PROGRAM_POLICY)
    resp, printed = get_pdf(
        client_for("supporter"), reverse("governance:version_pdf", args=[current.pk])
    )
    assert_pdf(resp, "program-policy-v1.pdf")
    assert "Approved and in force since" in printed.text
    assert "Not in force" not in printed.text
    assert "1. Nobody learns who sought help." in printed.text


def test_supporters_print_only_what_they_may_read(personas, client_for):
    supporter = client_for("supporter")
    notice = selectors.current_version(Kind.CONFIDENTIALITY_NOTICE)
    draft = services.policy_version_draft(
        actor=personas["bhs_manager"],
        document=PolicyDocument.objects.get(kind=Kind.PROGRAM_POLICY),
        effective_date=timezone.localdate(),
        body="Draft.",
    )
    for version in (notice, draft):
        assert supporter.get(reverse("governance:version_pdf", args=[version.pk])).status_code == (
            404
        )
    assert not AuditEvent.objects.filter(action=AuditAction.POLICY_PDF).exists()


@pytest.mark.parametrize(
    "persona", ["employee", "advocacy_supervisor", "supervisor", "committee_member", "sysadmin"]
)
def test_everyone_else_is_refused_version_pdfs(client_for, persona):
    current = selectors.current_version(Kind.PROGRAM_POLICY)
    resp = client_for(persona).get(reverse("governance:version_pdf", args=[current.pk]))
    assert resp.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.POLICY_PDF).exists()


def test_an_unknown_version_is_404(client_for):
    resp = client_for("bhs_manager").get(reverse("governance:version_pdf", args=[999999]))
    assert resp.status_code == 404


def test_the_version_page_links_to_its_pdf(client_for):
    current = selectors.current_version(Kind.PROGRAM_POLICY)
    page = client_for("supporter").get(reverse("governance:version", args=[current.pk]))
    assert reverse("governance:version_pdf", args=[current.pk]) in page.content.decode()


def test_the_public_notice_pdf_is_drawn_once_then_served_from_the_cache(client):
    first, printed = get_pdf(client, reverse("governance:notice_pdf"))
    assert len(printed.html) == 1
    again, printed_again = get_pdf(client, reverse("governance:notice_pdf"))
    assert printed_again.html == []  # not drawn again
    assert again.content == first.content
    assert_pdf(again, "confidentiality-notice-program-default-1.pdf")
