"""The supporter directory, a supporter's page and photo, and the supporter's own page.

The directory is for Role.EMPLOYEE: that role follows from an active, on-leave or retired
employee record, so it covers every member of the department and its retirees, supporters,
coordinators and supervisors included, and leaves out accounts that are not department members
(the system administrator's, a family member's) and employees who left.
"""

from math import ceil

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.tenancy import current_agency_id
from peersupport.web.forms import act, posted, render_form, submit
from peersupport.web.kept import KeptHtml
from peersupport.web.pagination import PER_PAGE

from . import rules, selectors, services
from .cards import entry_cards
from .forms import (
    AvailabilityForm,
    DirectoryFilterForm,
    OnCallShiftForm,
    StatusForm,
    SupporterProfileForm,
)
from .models import SupporterProfile, photo_storage
from .rows import entry_rows_html

PAGE_SIZE = 30
LAST_PAGE = 10**6  # any number past it is past the end too (and its offset fits a database)


# --- The directory --------------------------------------------------------------------------


def _page(request, read, per_page: int) -> Page:
    """The page ``?page=`` asks for, as ``web.pagination.paginate`` reads it: anything not a
    page number is the first page, a number past the end the last one (a stale link: two more
    queries). ``read(limit, offset)`` gives those rows and how many there are in all (0 past
    the end), as ``selectors.directory_page`` and ``selectors.roster_page`` do."""
    try:
        number = min(max(int(request.GET.get("page")), 1), LAST_PAGE)
    except (TypeError, ValueError):
        number = 1
    rows, total = read(per_page, (number - 1) * per_page)
    if not rows and number > 1:
        _first, total = read(1, 0)
        number = max(ceil(total / per_page), 1)
        rows, total = read(per_page, (number - 1) * per_page)
    paginator = Paginator([], per_page, allow_empty_first_page=True)
    paginator.__dict__["count"] = total  # the cached_property, filled from the page's query
    return Page(rows, number, paginator)


# The filter fields' HTML, per process, for each set of submitted values: the same values, the
# same languages and the same settings always give the same HTML, and rendering the form was a
# fifth of the directory's time (issue 21). Kept for valid values only (errors are shown as
# they come).
_FILTER_FIELDS = KeptHtml(256)


def _filter_fields(form: DirectoryFilterForm, filters_on: int) -> SafeString:
    def rendered() -> SafeString:
        context = {"form": form, "filters_on": filters_on}
        return render_to_string("roster/_directory_filters.html", context)

    if form.errors:
        return rendered()
    data = form.data
    key = (
        current_agency_id(),  # RETIREES_MAY_SERVE and the directory become per agency
        form.is_bound,
        form.languages,
        settings.RETIREES_MAY_SERVE,
        tuple(tuple(data.getlist(name)) if form.is_bound else () for name in form.fields),
    )
    return _FILTER_FIELDS.get(key, rendered)


@roles_required(Role.EMPLOYEE)
@require_GET
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    filters = form.filters()
    # One query for the page and how many match (a window count), one for its labels.
    page = _page(
        request,
        lambda limit, offset: selectors.directory_page(
            viewer=request.user, limit=limit, offset=offset, **filters
        ),
        PAGE_SIZE,
    )
    filtered = any(filters.values())
    # The folded filters in use (all but the search box): they open when any is.
    filters_on = sum(1 for name, value in filters.items() if name != "query" and value)
    context = {
        "form": form,
        "page": page,
        "cards": entry_cards(page.object_list),
        "filter_fields": "" if request.htmx else _filter_fields(form, filters_on),
        "filtered": filtered,
        "filters_on": filters_on,
    }
    status = 400 if form.errors else 200
    if request.htmx:
        return render(request, "roster/directory.html#results", context, status=status)
    return render(request, "roster/directory.html", context, status=status)


@roles_required(Role.EMPLOYEE)
@require_GET
def detail(request, profile_id: int):
    profile = selectors.supporter_for_viewer(viewer=request.user, profile_id=profile_id)
    context = {
        "profile": profile,
        "available_now": selectors.is_available_now(profile),
        "shifts": selectors.upcoming_shifts(profile)[:5],
        "own": profile.user_id == request.user.pk,
    }
    return render(request, "roster/detail.html", context)


@roles_required(Role.EMPLOYEE)
@require_GET
def photo(request, profile_id: int):
    """The photo, to signed-in employees only, never from a public media URL."""
    profile = selectors.supporter_for_viewer(viewer=request.user, profile_id=profile_id)
    if not profile.photo:
        raise Http404("No photo.")
    try:
        handle = photo_storage.open(profile.photo.name, "rb")
    except FileNotFoundError:
        raise Http404("No photo.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    return response


# --- The supporter's own page ---------------------------------------------------------------


def not_serving(request, title: str):
    """The page a supporter still in initial training gets instead of a contact or exception
    form: why not, and where to see their training. A POST changes nothing (403)."""
    return render(
        request,
        "roster/not_serving.html",
        {"title": title, "reason": rules.NOT_SERVING},
        status=403 if request.method == "POST" else 200,
    )


def _profile_form(profile):
    return SupporterProfileForm(
        initial={
            "bio": profile.bio,
            "areas": [a.area for a in profile.areas.all()],
            "gender": profile.gender,
            "show_gender": profile.show_gender,
        }
    )


def _mine(request, profile, *, profile_form=None, shift_form=None, status=200):
    context = {"profile": profile}
    if profile is not None:
        context |= {
            "available_now": selectors.is_available_now(profile),
            "availability_choices": profile.Availability.choices,
            "shifts": selectors.upcoming_shifts(profile),
            "profile_form": profile_form or _profile_form(profile),
            "shift_form": shift_form or OnCallShiftForm(),
        }
    return render(request, "roster/mine.html", context, status=status)


def _own_profile_or_redirect(request):
    profile = selectors.own_profile(request.user)
    if profile is None:
        messages.error(request, "Set up your directory entry first.")
    return profile


@roles_required(Role.PEER_SUPPORTER)
@require_GET
def mine(request):
    return _mine(request, selectors.own_profile(request.user))


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def setup(request):
    return act(
        request,
        lambda: services.supporter_profile_create(
            actor=request.user,
            user=request.user,
            status=services.Status.ACTIVE,
            reason="Set up by the supporter",
        ),
        success="Your directory entry is set up. Colleagues can now find you.",
        then="roster:mine",
    )


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def set_availability(request):
    profile = _own_profile_or_redirect(request)
    if profile is None:
        return redirect("roster:mine")
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose available, busy or off.")
        return _mine(request, profile, status=400)
    profile = services.supporter_set_availability(
        actor=request.user, profile=profile, availability=form.cleaned_data["availability"]
    )
    if request.htmx:
        context = {
            "profile": profile,
            "available_now": selectors.is_available_now(profile),
            "availability_choices": profile.Availability.choices,
            "just_changed": True,
        }
        return render(request, "roster/mine.html#availability", context)
    messages.success(request, f"You are now shown as {profile.get_availability_display()}.")
    return redirect("roster:mine")


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def edit_profile(request):
    profile = _own_profile_or_redirect(request)
    if profile is None:
        return redirect("roster:mine")
    form = SupporterProfileForm(request.POST, request.FILES)
    if done := submit(
        request,
        form,
        lambda: services.supporter_update_profile(
            actor=request.user,
            profile=profile,
            bio=form.cleaned_data["bio"],
            areas=form.cleaned_data["areas"],
            gender=form.cleaned_data["gender"],
            show_gender=form.cleaned_data["show_gender"],
            photo=form.cleaned_data["photo"] or None,
            remove_photo=form.cleaned_data["remove_photo"],
        ),
        success="Your directory entry is saved.",
        then="roster:mine",
    ):
        return done
    return _mine(request, profile, profile_form=form, status=400)


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def add_shift(request):
    profile = _own_profile_or_redirect(request)
    if profile is None:
        return redirect("roster:mine")
    form = OnCallShiftForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.oncall_shift_add(
            actor=request.user,
            profile=profile,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        ),
        success="On-call shift added.",
        then="roster:mine",
    ):
        return done
    return _mine(request, profile, shift_form=form, status=400)


@roles_required(Role.PEER_SUPPORTER)
@require_http_methods(["GET", "POST"])
def remove_shift(request, shift_id: int):
    """GET asks for confirmation (the page's own button posts straight here)."""
    shift = selectors.own_shift(user=request.user, shift_id=shift_id)
    if request.method == "GET":
        return render(request, "roster/shift_remove.html", {"shift": shift})
    services.oncall_shift_remove(actor=request.user, shift=shift)
    messages.success(request, "On-call shift removed.")
    return redirect("roster:mine")


# --- The roster: the supporter lifecycle (coordinator, BHS manager, Chief) ------------------

ROSTER_KEEPERS = (Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF)
ROSTER_PAGE_SIZE = PER_PAGE


@roles_required(*ROSTER_KEEPERS)
@require_GET
def manage(request):
    status = request.GET.get("status") or None
    if status not in SupporterProfile.Status.values:
        status = None
    concern = request.GET.get("concern") or None
    if concern not in selectors.ROSTER_CONCERNS:
        concern = None
    page = _page(
        request,
        lambda limit, offset: selectors.roster_page(
            status=status, concern=concern, limit=limit, offset=offset
        ),
        ROSTER_PAGE_SIZE,
    )
    by_status, concerns = selectors.roster_counts()
    return render(
        request,
        "roster/manage.html",
        {
            "page": page,
            "roster_rows": entry_rows_html(page.object_list),
            "status": status,
            "concern": concern,
            "statuses": [
                (value, label, by_status[value]) for value, label in SupporterProfile.Status.choices
            ],
            "concerns": concerns,
        },
    )


def _status_choices(profile):
    return [
        (value, SupporterProfile.Status(value).label)
        for value in SupporterProfile.Status.values
        if value in rules.TRANSITIONS[profile.status] and value not in rules.PIPELINE_ONLY
    ]


@roles_required(*ROSTER_KEEPERS)
@require_http_methods(["GET", "POST"])
def set_status(request, profile_id: int):
    profile = selectors.profile_for_coordinator(profile_id)
    form = StatusForm(posted(request), choices=_status_choices(profile))
    if done := submit(
        request,
        form,
        lambda: services.supporter_set_status(
            actor=request.user,
            profile=profile,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            inactive_reason=form.cleaned_data["inactive_reason"],
            inactive_until=form.cleaned_data["inactive_until"],
        ),
        success=lambda saved: f"{saved.name} is now {saved.get_status_display()}.",
        then="roster:manage",
    ):
        return done
    return render_form(
        request,
        "roster/set_status.html",
        {
            "profile": profile,
            "form": form,
            "training_complete": selectors.initial_training_complete(profile.user)
            if profile.status == SupporterProfile.Status.APPOINTED
            else None,
        },
    )


@roles_required(*ROSTER_KEEPERS)
@require_http_methods(["GET", "POST"])
def activate(request, profile_id: int):
    """Activate a supporter whose initial training is complete: a confirmation, then one
    click (instead of the status form)."""
    profile = selectors.profile_for_coordinator(profile_id)
    errors: list[str] = []
    if done := submit(
        request,
        None,
        lambda: services.supporter_activate(actor=request.user, profile=profile),
        success=lambda saved: f"{saved.name} is now active.",
        then="roster:manage",
        errors=errors,
    ):
        return done
    return render_form(
        request,
        "roster/activate.html",
        {"profile": profile, "ready": selectors.ready_to_activate(profile), "errors": errors},
    )
