"""The system administrator's webhooks page: endpoints of other systems told of content-free
events (peersupport/notifications/webhooks.py). A signing secret is shown once, on the page
that answers its making or its rotation, and never again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.notifications import webhooks
from peersupport.notifications.forms import WebhookForm

from .forms import apply_service_errors, posted, render_form


def _secret_page(request, endpoint, secret: str, *, made: bool):
    # Shown on this response only (and, as every signed-in page, never cached).
    return render(
        request,
        "web/webhook_secret.html",
        {"endpoint": endpoint, "secret": secret, "made": made},
    )


@roles_required(Role.SYSADMIN)
@require_GET
def webhook_list(request):
    found = webhooks.endpoints()
    status = webhooks.deliveries(found)
    rows = [(e, status[e.pk], [webhooks.event_label(n) for n in e.events]) for e in found]
    return render(request, "web/webhook_list.html", {"rows": rows})


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def webhook_add(request):
    form = WebhookForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.endpoint_add(
                actor=request.user,
                label=form.cleaned_data["label"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _secret_page(request, endpoint, secret, made=True)
    return render_form(request, "web/webhook_form.html", {"form": form, "endpoint": None})


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def webhook_edit(request, endpoint_id: int):
    endpoint = webhooks.endpoint(endpoint_id)
    initial = {
        "label": endpoint.label,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
    }
    form = WebhookForm(posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {endpoint.label}.")
            return redirect("web:webhook_list")
    return render_form(request, "web/webhook_form.html", {"form": form, "endpoint": endpoint})


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def webhook_rotate(request, endpoint_id: int):
    """GET asks for confirmation; POST makes a new secret and shows it, once."""
    endpoint = webhooks.endpoint(endpoint_id)
    if request.method == "GET":
        return render(request, "web/webhook_rotate.html", {"endpoint": endpoint})
    secret = webhooks.endpoint_rotate(actor=request.user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret, made=False)


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def webhook_delete(request, endpoint_id: int):
    """GET asks for confirmation; POST deletes."""
    endpoint = webhooks.endpoint(endpoint_id)
    if request.method == "GET":
        return render(request, "web/webhook_delete.html", {"endpoint": endpoint})
    webhooks.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"Deleted {endpoint.label}. Nothing more is sent to it.")
    return redirect("web:webhook_list")


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def webhook_test(request, endpoint_id: int):
    """GET asks for confirmation; POST queues one test event to the endpoint."""
    endpoint = webhooks.endpoint(endpoint_id)
    if request.method == "GET":
        return render(request, "web/webhook_test.html", {"endpoint": endpoint})
    try:
        webhooks.endpoint_test(actor=request.user, endpoint=endpoint)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "A test event is on its way. Its result shows here within a minute."
        )
    return redirect("web:webhook_list")
