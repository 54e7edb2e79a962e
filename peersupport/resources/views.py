from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required, signed_in
from peersupport.web.forms import posted, render_form, submit

from . import selectors, selfcheck, services
from .cards import help_now_html, resource_groups_html
from .forms import ReasonForm, ResourceFilterForm, ResourceForm

PAGE_SIZE = 50
HELP_NOW_LIMIT = 5  # a short box above the directory, not a second directory


def _is_coordinator(request) -> bool:
    return request.user.is_authenticated and request.user.has_role(Role.COORDINATOR)


# --- The directory: signed in and public share one page and one partial ---------------------


def _directory(request, *, public_pages: bool):
    filters = ResourceFilterForm(request.GET or None)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    results = selectors.resource_search(
        query=wanted.get("q", ""),
        category=wanted.get("category", ""),
        around_the_clock=wanted.get("open_24_7", False),
    )
    # Django's paginator (a COUNT, then the page): the window count of web.pagination would
    # pass a page number beyond the database's integers on as the offset (a 500 on SQLite).
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "filtered": bool(wanted and any(wanted.values())),
        "page": page,
        "query": query.urlencode(),
        "public_pages": public_pages,
        "list_url": reverse("resources:public_list" if public_pages else "resources:list"),
        "can_edit": not public_pages and _is_coordinator(request),
        "groups": resource_groups_html(page.object_list, public_pages=public_pages),
    }
    status = 400 if filters.errors else 200
    if request.htmx and not request.htmx.history_restore_request:
        context["partial"] = True
        return render(request, "resources/resource_list.html#results", context, status=status)
    context["help_now"] = selectors.resources_help_now(limit=HELP_NOW_LIMIT)
    context["help_now_html"] = help_now_html(context["help_now"])
    return render(request, "resources/resource_list.html", context, status=status)


@signed_in
@require_GET
@vary_on_headers("HX-Request")
def resource_list(request):
    return _directory(request, public_pages=False)


@public
@require_GET
@vary_on_headers("HX-Request")
def public_list(request):
    """The same directory for family members and anyone without an account."""
    return _directory(request, public_pages=True)


@signed_in
@require_GET
def resource_detail(request, resource_id: int):
    resource = selectors.resource_for(request.user, resource_id)
    return render(
        request,
        "resources/resource_detail.html",
        {"resource": resource, "public_pages": False, "can_edit": _is_coordinator(request)},
    )


@public
@require_GET
def public_detail(request, resource_id: int):
    resource = selectors.active_resource(resource_id)
    return render(
        request,
        "resources/resource_detail.html",
        {"resource": resource, "public_pages": True, "can_edit": False},
    )


# --- The private self-check -----------------------------------------------------------------


@public
@require_GET
def self_check(request):
    """Screening questions answered and added up in the browser; the answers never come back.

    The page is the same for everyone but for where its links go: an employee asks from their
    own ask page, anyone else (a family member, someone not signed in) from the public one.
    """
    signed_in_user = request.user.is_authenticated
    employee = signed_in_user and request.user.has_role(Role.EMPLOYEE)
    return render(
        request,
        "resources/self_check.html",
        {
            "phq4": selfcheck.PHQ4,
            "phq4_bands": selfcheck.PHQ4_BANDS,
            "phq4_max": selfcheck.PHQ4_MAX,
            "phq4_pair_flag": selfcheck.PHQ4_PAIR_FLAG,
            "phq4_distress_from": selfcheck.PHQ4_DISTRESS_FROM,
            "phq4_crisis_from": selfcheck.PHQ4_CRISIS_FROM,
            "pcptsd5": selfcheck.PCPTSD5,
            "pcptsd5_event": selfcheck.PCPTSD5_EVENT,
            "pcptsd5_event_intro": selfcheck.PCPTSD5_EVENT_INTRO,
            "pcptsd5_event_examples": selfcheck.PCPTSD5_EVENT_EXAMPLES,
            "pcptsd5_max": selfcheck.PCPTSD5_MAX,
            "pcptsd5_flag": selfcheck.PCPTSD5_FLAG,
            "help_now": selectors.resources_help_now(limit=HELP_NOW_LIMIT),
            "ask_url": reverse("support:ask" if employee else "support:public_ask"),
            "directory_url": reverse(
                "resources:list" if signed_in_user else "resources:public_list"
            ),
        },
    )


# --- Keeping the directory: the coordinator -------------------------------------------------


@roles_required(Role.COORDINATOR)
@require_GET
def retired_list(request):
    return render(
        request, "resources/retired_list.html", {"resources": selectors.resources_retired()}
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_create(request):
    form = ResourceForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.resource_create(actor=request.user, **form.cleaned_data),
        success=lambda resource: f"Added {resource} to the directory.",
        then=lambda resource: resource,
    ):
        return done
    return render_form(request, "resources/resource_form.html", {"form": form, "resource": None})


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_edit(request, resource_id: int):
    resource = selectors.resource_for(request.user, resource_id)
    # The form writes what was typed onto the instance; the page keeps the stored name.
    title = resource.name
    form = ResourceForm(posted(request), instance=resource)
    if done := submit(
        request,
        form,
        lambda: services.resource_update(
            actor=request.user, resource=resource, **form.cleaned_data
        ),
        success=lambda saved: f"Saved {saved}.",
        then=lambda saved: saved,
    ):
        return done
    return render_form(
        request,
        "resources/resource_form.html",
        {"form": form, "resource": resource, "title": title},
    )


def _change_state(request, resource_id: int, *, retire: bool):
    """The retire and restore pages: confirm, say why, one service call."""
    resource = selectors.resource_for(request.user, resource_id)
    if resource.is_active != retire:
        messages.info(
            request,
            f"{resource} is {'already retired' if retire else 'not retired'}; nothing changed.",
        )
        return redirect(resource)
    form = ReasonForm(posted(request))
    service = services.resource_retire if retire else services.resource_restore
    if done := submit(
        request,
        form,
        lambda: service(actor=request.user, resource=resource, reason=form.cleaned_data["reason"]),
        success=f"Retired {resource}. It no longer shows in the directory."
        if retire
        else f"Restored {resource} to the directory.",
        then="resources:retired" if retire else resource,
    ):
        return done
    return render_form(
        request,
        "resources/resource_state.html",
        {"form": form, "resource": resource, "retire": retire},
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_retire(request, resource_id: int):
    return _change_state(request, resource_id, retire=True)


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_restore(request, resource_id: int):
    return _change_state(request, resource_id, retire=False)
