"""The peer supporter's pages: the inbox (offers, held requests, follow-ups, load, debrief),
a held request with who asked and the messages, and the de-identified contact log.

Who asked is shown only on the page of a request the supporter holds, read through
``selectors.held_request`` (which audits the reading). The inbox says what was asked for,
never by whom. Every id in a URL is looked up among the signed-in supporter's own objects, so
anyone else's answers 404.

The action URLs (answer an offer, close, mark a follow-up done) take POST; a GET of one, after
the same ownership check, just leads back to the page the action lives on.
"""

from datetime import timedelta

from django.conf import settings
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.governance.notice import current_notice
from peersupport.resources.selectors import resource_choices
from peersupport.roster.models import ExperienceArea
from peersupport.roster.selectors import serves
from peersupport.roster.views import not_serving
from peersupport.tenancy import current_agency_id
from peersupport.web.forms import posted, render_form, submit
from peersupport.web.kept import KeptHtml

from . import selectors, services
from .forms_supporter import (
    CloseForm,
    ContactForm,
    DebriefAskForm,
    FollowUpDoneForm,
    OfferAnswerForm,
    SupporterMessageForm,
)
from .models import ContactMethod, Message, SupportRequest
from .rows import closed_links_html, followup_cards_html

supporter_only = roles_required(Role.PEER_SUPPORTER)
# Closed requests listed in the inbox (the most recent ones; older ones are reached from them
# only while they still have follow-ups, and their identity is purged after retention).
RECENTLY_CLOSED = 10
# Follow-ups listed in the inbox, of those due and of those to come (the longest overdue and
# the soonest first); the rest show as they are done, and the headings say how many there are.
INBOX_FOLLOWUPS = 10


def _held(user, request_id: int, *, audit: bool) -> SupportRequest:
    """A request the supporter holds, by its id; 404 for any other (``audit``: see
    ``selectors.held_request_by_id``)."""
    return selectors.held_request_by_id(user, request_id, audit=audit)


def _wanted(requests) -> dict[int, dict[str, list[str]]]:
    """What each request asked for, in words: languages (one query for all) and areas."""
    language_ids = {lang for req in requests for lang in req.wanted_languages}
    names = selectors.language_names(language_ids)
    areas = dict(ExperienceArea.choices)
    return {
        req.pk: {
            "languages": [names[i] for i in req.wanted_languages if i in names],
            "areas": [areas.get(a, a) for a in req.wanted_areas],
        }
        for req in requests
    }


# --- The inbox ------------------------------------------------------------------------------


def _inbox(request, *, status: int = 200, errors: list | None = None):
    user = request.user
    offers = list(selectors.pending_offers(user))
    held, closed = selectors.open_and_recently_closed(user, closed_limit=RECENTLY_CLOSED)
    wanted = _wanted([offer.request for offer in offers])
    today = timezone.localdate()
    followups = selectors.inbox_followups(user, limit=INBOX_FOLLOWUPS, today=today)
    csrf_token = get_token(request)
    context = {
        "offers": [
            {
                "offer": offer,
                "req": offer.request,
                "named": offer.request.requested_supporter_id == user.pk,
                "wanted": wanted[offer.request.pk],
                "answer_by": offer.offered_at + timedelta(minutes=settings.SUPPORT_OFFER_MINUTES),
            }
            for offer in offers
        ],
        "held": held,
        "closed": closed,
        "closed_links": closed_links_html(closed),
        "followups": followups,
        "followup_cards": {
            "due": followup_cards_html(followups.due, today, csrf_token),
            "upcoming": followup_cards_html(followups.upcoming, today, csrf_token),
        },
        "load": selectors.supporter_load(user, held=held, followups_due=followups.due_count),
        "recent_contacts": list(selectors.recent_contacts(user)),
        "errors": errors or [],
    }
    return render(request, "support/supporter/inbox.html", context, status=status)


def _form_errors(form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


@supporter_only
@require_http_methods(["GET"])
def inbox(request):
    return _inbox(request)


@supporter_only
@require_http_methods(["GET", "POST"])
def offer_answer(request, offer_id: int):
    offer = selectors.offer_for(request.user, offer_id)
    if request.method == "GET":
        return redirect("support:inbox")
    form = OfferAnswerForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.offer_answer(actor=request.user, offer=offer, accept=form.accept),
        success=lambda req: (
            "You accepted the request. Reach out soon."
            if form.accept
            else "You passed. The request goes to the next supporter."
        ),
        then=lambda req: reverse("support:held", args=[req.pk]) if form.accept else "support:inbox",
    ):
        return done
    return _inbox(request, status=400, errors=_form_errors(form))


@supporter_only
@require_POST
def debrief_ask(request):
    form = DebriefAskForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.debrief_request(actor=request.user),
        success="Your request for a debrief went to the coordinator, who will be in touch.",
        then="support:inbox",
    ):
        return done
    return _inbox(request, status=400, errors=_form_errors(form))


@supporter_only
@require_http_methods(["GET", "POST"])
def followup_done(request, followup_id: int):
    followup = selectors.own_followup(request.user, followup_id)
    if request.method == "GET":
        return redirect("support:inbox")
    form = FollowUpDoneForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.followup_done(actor=request.user, followup=followup),
        success="Follow-up marked as done.",
        then="support:inbox",
    ):
        return done
    return _inbox(request, status=400, errors=_form_errors(form))


# --- A held request -------------------------------------------------------------------------


def _held_page(request, req, *, reply_form=None, close_form=None, status: int = 200):
    identity = req.identity or {}
    method = identity.get("contact_method", "")
    followups = selectors.request_followups(request.user, request=req)
    context = {
        "req": req,
        "identity": identity,
        "contact_method": ContactMethod(method).label if method in ContactMethod.values else "",
        "wanted": _wanted([req])[req.pk],
        "thread": list(req.messages.all()),
        "followups": followups,
        "followup_cards": followup_cards_html(
            followups, timezone.localdate(), get_token(request), request_links=False
        ),
        "reply_form": reply_form or SupporterMessageForm(),
        "close_form": close_form or CloseForm(),
    }
    return render(request, "support/supporter/request.html", context, status=status)


@supporter_only
@require_http_methods(["GET", "POST"])
def held(request, request_id: int):
    """Who asked and how to reach them, the messages, and a reply (POST)."""
    req = _held(request.user, request_id, audit=True)
    if request.method == "GET":
        return _held_page(request, req)
    form = SupporterMessageForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.message_send(
            request=req,
            sender=Message.Sender.SUPPORTER,
            body=form.cleaned_data["body"],
            actor=request.user,
        ),
        success="Message sent.",
        then=reverse("support:held", args=[req.pk]),
    ):
        return done
    return _held_page(request, req, reply_form=form, status=400)


@supporter_only
@require_http_methods(["GET", "POST"])
def held_close(request, request_id: int):
    req = _held(request.user, request_id, audit=False)
    if request.method == "GET":
        return redirect("support:held", request_id=req.pk)
    form = CloseForm(request.POST)
    if req.status != SupportRequest.Status.ACCEPTED:
        # The close form is not on the page of a request that is not open: say it here.
        form.is_valid()
        form.errors.clear()
        form.add_error(None, "Only an accepted request can be closed; this one is not open.")
    elif done := submit(
        request,
        form,
        lambda: services.request_close(actor=request.user, request=req),
        success="Request closed. What identifies the person is deleted "
        f"{settings.SUPPORT_RETENTION_DAYS} days after its follow-ups are done.",
        then="support:inbox",
    ):
        return done
    # The page shows who asked again, so this reading is audited like any other.
    req = _held(request.user, request_id, audit=True)
    return _held_page(request, req, close_form=form, status=400)


# --- Contacts -------------------------------------------------------------------------------


def _contact(request, req: SupportRequest | None):
    if not serves(request.user):
        return not_serving(request, "Log a contact")
    notice = current_notice()
    form = ContactForm(posted(request), notice=notice)

    def log():
        data = form.cleaned_data
        return services.contact_log(
            actor=request.user,
            date=data["date"],
            duration_minutes=data["duration_minutes"],
            mode=data["mode"],
            requester_type=data["requester_type"],
            topics=data["topics"],
            limits_explained=data["limits_explained"],
            notice_version=data["notice_version"],
            referrals=list(data["referrals"]),
            follow_up_on=data["follow_up_on"],
            request=req,
        )

    published = selectors.reports_published_through()

    def logged(contact) -> str:
        text = "Contact logged."
        if published is not None and contact.date <= published:
            month = date_format(contact.date, "F Y")
            text += (
                f" {month} is already closed and its report published: this contact is "
                "counted as a late entry of the next month still open, not in "
                f"{month}."
            )
        if contact.follow_up_planned:
            day = date_format(form.cleaned_data["follow_up_on"], "j F Y")
            text += f" You will be reminded to follow up on {day}."
        return text

    if done := submit(request, form, log, success=logged, then="support:inbox"):
        return done
    return render_form(
        request,
        "support/supporter/contact_form.html",
        {
            "form": form,
            "req": req,
            "notice": notice,
            "fields": _contact_fields(form, notice, published),
        },
    )


# The empty contact form's fields, per process: they depend only on the agency (issue 23), the
# day (the date's default), the notice in force, the month reports are closed through and the
# resource directory's active entries, all in the key; rendering them was half of the page's
# time (issue 21). A form sent back with errors is rendered as it comes.
_CONTACT_FIELDS = KeptHtml(64)


def _contact_fields(form: ContactForm, notice, published) -> SafeString:
    referrals = resource_choices()

    def rendered() -> SafeString:
        if not form.is_bound:
            # The list just read, rather than the field's queryset read again: the same
            # (id, name) pairs, and the page's queries the same whether the HTML was kept.
            form.fields["referrals"].widget.choices = list(referrals)
        context = {
            "form": form,
            "notice": notice,
            "published_through": published,
            "referrals": referrals,
        }
        return render_to_string("support/supporter/_contact_fields.html", context)

    if form.is_bound:
        return rendered()
    key = (current_agency_id(), timezone.localdate(), repr(notice), published, referrals)
    return _CONTACT_FIELDS.get(key, rendered)


@supporter_only
@require_http_methods(["GET", "POST"])
def contact_new(request):
    """A contact made outside the system: a hallway talk, a phone call."""
    return _contact(request, None)


@supporter_only
@require_http_methods(["GET", "POST"])
def contact_for_request(request, request_id: int):
    # The form shows nothing of who asked, so this lookup is not an audited reading.
    return _contact(request, _held(request.user, request_id, audit=False))
