"""The kernel's pages for people, units and roles (the URL namespace ``accounts``)."""

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts import selectors, services
from peersupport.accounts.forms import (
    EmployeeForm,
    EmployeeSearchForm,
    ProfileForm,
    RoleGrantForm,
    RoleRequestDecisionForm,
    RoleRevokeForm,
    UnitForm,
)
from peersupport.accounts.models import (
    CONFIDENTIAL_ROLES,
    GRANT_APPROVERS,
    GRANTABLE_ROLES,
    Role,
    RoleGrantRequest,
)
from peersupport.accounts.permissions import roles_required, signed_in

from .forms import act, posted, render_form, submit
from .pagination import paginate
from .picker import FIELD_NAME, PersonField, PersonPickerForm, matches_context
from .rows import grant_rows_html, unit_tree_html

# --- Profile --------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def profile(request):
    employee = getattr(request.user, "employee", None)
    initial = {"display_name": request.user.display_name}
    if employee is not None:
        initial |= {
            "preferred_name": employee.preferred_name,
            "languages": list(employee.languages.all()),
        }
    form = ProfileForm(posted(request), initial=initial)
    if employee is None:
        del form.fields["preferred_name"], form.fields["languages"]
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            actor=request.user,
            display_name=form.cleaned_data["display_name"],
            preferred_name=form.cleaned_data.get("preferred_name", ""),
            languages=list(form.cleaned_data.get("languages", [])),
        )
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    chain = selectors.chain_of_command(employee) if employee is not None else []
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "employee": employee, "chain": chain},
    )


# --- Roles ----------------------------------------------------------------------------------


class RoleGrantPickForm(PersonPickerForm, RoleGrantForm):
    """The grant form with the account found by name (or typed e-mail) in the person picker:
    accounts' own form cannot use the picker, which is in this app, above it."""

    email = PersonField(
        pool="account",
        what="the person",
        label="Person",
        help_text="Type part of their name, or their account e-mail, and choose them.",
    )

    def clean_email(self):
        self.user = self.cleaned_data["email"]
        return self.user.email


def _grant_or_ask(request, form):
    """A confidential role waits for a second person (services.role_request); any other role
    is granted at once."""
    data = form.cleaned_data
    call = services.role_request if data["role"] in CONFIDENTIAL_ROLES else services.role_grant
    return call(
        actor=request.user,
        user=form.user,
        role=data["role"],
        reason=data["reason"],
        expires_at=data["expires_at"],
    )


def _granted_or_asked(result) -> str:
    if isinstance(result, RoleGrantRequest):
        return (
            f"Asked for {result.get_role_display()} for {result.user}: it is granted only when "
            f"a BHS manager or the Chief approves it, within {result.PENDING_DAYS} days."
        )
    return f"Granted {result.get_role_display()} to {result.user}."


@roles_required(Role.SYSADMIN, Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def role_list(request):
    form = RoleGrantPickForm(posted(request), viewer=request.user)
    if done := submit(
        request,
        form,
        lambda: _grant_or_ask(request, form),
        success=_granted_or_asked,
        then="accounts:role_list",
    ):
        return done
    # Filters from the address; a value that is not one of the choices shows the default.
    show = request.GET.get("show")
    if show not in selectors.GRANT_VIEWS:
        show = "all" if request.GET.get("ended") == "1" else "current"
    role = request.GET.get("role")
    if role not in GRANTABLE_ROLES:
        role = ""
    page = paginate(request, selectors.role_grants_listed(show=show, role=role or None))
    return render_form(
        request,
        "accounts/role_list.html",
        {
            "form": form,
            "page": page,
            "grant_rows": grant_rows_html(page.object_list, get_token(request)),
            "show": show,
            "shows": selectors.GRANT_VIEWS.items(),
            "role": role,
            "roles": [(r.value, r.label) for r in Role if r in GRANTABLE_ROLES],
            "waiting": selectors.role_requests_open(),
            "approver": request.user.has_role(*GRANT_APPROVERS),
            "confidential_roles": ", ".join(
                sorted(Role(r).label.lower() for r in CONFIDENTIAL_ROLES)
            ),
        },
    )


@roles_required(*GRANT_APPROVERS)
@require_GET
def role_requests(request):
    """Grants of confidential roles waiting for this person's approval."""
    return render(
        request,
        "accounts/role_requests.html",
        {"waiting": selectors.role_requests_waiting_for(request.user)},
    )


def _decided(req: RoleGrantRequest) -> str:
    role, user = req.get_role_display(), req.user
    return {
        req.Status.APPROVED: f"Granted {role} to {user}.",
        req.Status.REFUSED: f"Refused {role} for {user}.",
    }.get(req.status, f"The request for {role} for {user} had lapsed: nothing was granted.")


@roles_required(*GRANT_APPROVERS)
@require_http_methods(["GET", "POST"])
def role_request_decide(request, request_id: int):
    grant_request = selectors.role_request_for_approver(request.user, request_id)
    form = RoleRequestDecisionForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.role_request_decide(
            actor=request.user,
            grant_request=grant_request,
            approve=form.cleaned_data["decision"] == "approve",
        ),
        success=_decided,
        then="accounts:role_requests",
    ):
        return done
    return render_form(
        request, "accounts/role_request.html", {"form": form, "grant_request": grant_request}
    )


@roles_required(Role.SYSADMIN, Role.BHS_MANAGER)
@require_POST
def role_revoke(request, grant_id: int):
    grant = selectors.role_grant(grant_id)
    form = RoleRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the role is revoked.")
        return redirect("accounts:role_list")
    return act(
        request,
        lambda: services.role_revoke(
            actor=request.user, grant=grant, reason=form.cleaned_data["reason"]
        ),
        success=f"Revoked {grant.get_role_display()} from {grant.user}.",
        then="accounts:role_list",
    )


# --- Units ----------------------------------------------------------------------------------


@roles_required(Role.SYSADMIN)
@require_GET
def unit_list(request):
    page = paginate(request, selectors.unit_tree_lines(), prepare=selectors.unit_tree_page)
    return render(
        request,
        "accounts/unit_list.html",
        {"page": page, "tree": unit_tree_html(page.object_list)},
    )


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def unit_edit(request, unit_id: int | None = None):
    unit = selectors.unit(unit_id) if unit_id else None
    form = UnitForm(posted(request), instance=unit)

    def save():
        data = {k: form.cleaned_data[k] for k in ("name", "kind", "parent", "supervisor")}
        if unit is None:
            return services.unit_create(actor=request.user, **data)
        return services.unit_update(actor=request.user, unit=unit, **data)

    if done := submit(
        request,
        form,
        save,
        success=lambda saved: f"Saved {saved}.",
        then="accounts:unit_list",
    ):
        return done
    return render_form(request, "accounts/unit_form.html", {"form": form, "unit": unit})


# --- Employees ------------------------------------------------------------------------------


@roles_required(Role.SYSADMIN)
@require_GET
def employee_list(request):
    search = EmployeeSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    # Unfiltered, the first 50 by name come from an index: a separate count is cheaper than
    # a window over all 20,000; a search reads every row anyway, so it counts as it goes.
    page = paginate(request, selectors.employee_search(query=query), window=bool(query))
    context = {"search": search, "page": page, "query": query}
    if request.htmx:
        return render(request, "accounts/employee_list.html#results", context)
    return render(request, "accounts/employee_list.html", context)


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def employee_edit(request, employee_id: int | None = None):
    employee = selectors.employee(employee_id) if employee_id else None
    form = EmployeeForm(posted(request), instance=employee)

    def save():
        data = {k: v for k, v in form.cleaned_data.items() if k != "languages"}
        languages = list(form.cleaned_data["languages"])
        if employee is None:
            return services.employee_create(actor=request.user, languages=languages, **data)
        # The form has already written its cleaned values onto the instance; the service
        # compares against the stored row.
        return services.employee_update(
            actor=request.user, employee=employee, languages=languages, **data
        )

    if done := submit(
        request,
        form,
        save,
        success=lambda saved: f"Saved {saved}.",
        then="accounts:employee_list",
    ):
        return done
    return render_form(request, "accounts/employee_form.html", {"form": form, "employee": employee})


# --- Finding a person by name (the person picker) -------------------------------------------


@roles_required(*selectors.PERSON_SEARCHERS)
@require_GET
def person_search(request):
    """The matches of a person picker as its name is typed (htmx): the people of ``pool`` the
    signed-in person may find. 404 for a pool they may not search, so nobody learns of people
    outside their own. One query for the matches however many people there are."""
    pool, field = request.GET.get("pool", ""), request.GET.get("field", "")
    if not pool or not FIELD_NAME.match(field):
        return HttpResponseBadRequest("Say which picker asks: pool and field.")
    if selectors.person_pool(request.user, pool) is None:
        raise Http404("No such search.")
    context = matches_context(
        viewer=request.user, pool=pool, field=field, query=request.GET.get(field, "")[:100]
    )
    return render(request, "web/_person_matches.html", context)
