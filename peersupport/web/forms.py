"""The form-view pattern, written once.

A form page binds its form to the POST (or to nothing on a GET), and on a valid POST calls one
service. Success says so (``messages.success``) and redirects; a service's ``ValidationError``
goes on the form (or into a list of errors shown at the top of the page) and the page is shown
again with status 400. A view reads::

    form = ReasonForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.thing_do(actor=request.user, **form.cleaned_data),
        success="Done.",
        then="app:list",
    ):
        return done
    return render_form(request, "app/page.html", {"form": form})
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render

# What ``then`` gives: anything ``redirect()`` takes (a URL, a URL name without arguments, a
# model with get_absolute_url), or a function of the service's result returning one.
Target = Any
Message = str | Callable[[Any], str] | None


def apply_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where the field exists, so
    the page re-renders with the message next to what caused it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def posted(request: HttpRequest) -> QueryDict | None:
    """The form's data: the POST, or None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def submit(
    request: HttpRequest,
    form: BaseForm | None,
    call: Callable[[], Any],
    *,
    success: Message,
    then: Target | Callable[[Any], Target],
    errors: list[str] | None = None,
) -> HttpResponse | None:
    """On a POST whose ``form`` is valid (or with no form), call the service (``call``).

    Success: ``messages.success(success)`` (a string, or a function of what ``call`` returned;
    None says nothing) and the redirect to ``then`` (a target for ``redirect()``, or a function
    of what ``call`` returned giving one). Returns that redirect.

    A ``ValidationError`` from the service goes on the form with :func:`apply_service_errors`.
    When the page shows errors in a list instead, pass ``errors``: the service's messages are
    added to it when there is no form, or when they are not about the form's fields (not an
    error dict). Returns None: the page must be shown again (with status 400, see
    :func:`render_form`). A GET, or an invalid form, also returns None without calling anything.
    """
    if request.method != "POST" or (form is not None and not form.is_valid()):
        return None
    try:
        result = call()
    except ValidationError as exc:
        if form is None or (errors is not None and not hasattr(exc, "error_dict")):
            if errors is None:
                raise
            errors.extend(exc.messages)
        else:
            apply_service_errors(form, exc)
        return None
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(then(result) if callable(then) else then)


def act(
    request: HttpRequest, call: Callable[[], Any], *, success: Message, then: Target
) -> HttpResponse:
    """A button with no page of its own: call the service, say ``success`` (or, on its
    ``ValidationError``, its messages with ``messages.error``) and redirect to ``then``."""
    try:
        result = call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if success is not None:
            messages.success(request, success(result) if callable(success) else success)
    return redirect(then)


def page_status(request: HttpRequest) -> int:
    """200 for a page shown on a GET; 400 for one shown again after a POST, which failed."""
    return 400 if request.method == "POST" else 200


def render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a form page: 200 on a GET, 400 when shown again after a failed POST."""
    return render(request, template, context, status=page_status(request))
