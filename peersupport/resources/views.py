from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required, signed_in
from peersupport.web.forms import apply_service_errors

from . import selectors, services
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
    }
    status = 400 if filters.errors else 200
    if request.htmx and not request.htmx.history_restore_request:
        context["partial"] = True
        return render(request, "resources/resource_list.html#results", context, status=status)
    context["help_now"] = selectors.resources_help_now(limit=HELP_NOW_LIMIT)
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
    resource = get_object_or_404(selectors.resources_visible_to(request.user), pk=resource_id)
    return render(
        request,
        "resources/resource_detail.html",
        {"resource": resource, "public_pages": False, "can_edit": _is_coordinator(request)},
    )


@public
@require_GET
def public_detail(request, resource_id: int):
    resource = get_object_or_404(selectors.resources_active(), pk=resource_id)
    return render(
        request,
        "resources/resource_detail.html",
        {"resource": resource, "public_pages": True, "can_edit": False},
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
    form = ResourceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Added {resource} to the directory.")
            return redirect(resource)
    return render(
        request,
        "resources/resource_form.html",
        {"form": form, "resource": None},
        status=400 if form.errors else 200,
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_edit(request, resource_id: int):
    resource = get_object_or_404(selectors.resources_visible_to(request.user), pk=resource_id)
    # The form writes what was typed onto the instance; the page keeps the stored name.
    title = resource.name
    form = ResourceForm(request.POST if request.method == "POST" else None, instance=resource)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_update(
                actor=request.user, resource=resource, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {resource}.")
            return redirect(resource)
    return render(
        request,
        "resources/resource_form.html",
        {"form": form, "resource": resource, "title": title},
        status=400 if form.errors else 200,
    )


def _change_state(request, resource_id: int, *, retire: bool):
    """The retire and restore pages: confirm, say why, one service call."""
    resource = get_object_or_404(selectors.resources_visible_to(request.user), pk=resource_id)
    if resource.is_active != retire:
        messages.info(
            request,
            f"{resource} is {'already retired' if retire else 'not retired'}; nothing changed.",
        )
        return redirect(resource)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        service = services.resource_retire if retire else services.resource_restore
        try:
            service(actor=request.user, resource=resource, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if retire:
                messages.success(
                    request, f"Retired {resource}. It no longer shows in the directory."
                )
                return redirect("resources:retired")
            messages.success(request, f"Restored {resource} to the directory.")
            return redirect(resource)
    return render(
        request,
        "resources/resource_state.html",
        {"form": form, "resource": resource, "retire": retire},
        status=400 if form.errors else 200,
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_retire(request, resource_id: int):
    return _change_state(request, resource_id, retire=True)


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def resource_restore(request, resource_id: int):
    return _change_state(request, resource_id, retire=False)
