"""The shared form-view helper (peersupport.web.forms): posted, submit, render_form."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from peersupport.web import forms as web_forms
from peersupport.web.forms import posted, render_form, submit


class NameForm(forms.Form):
    name = forms.CharField(max_length=20)


def _request(method: str, data=None):
    factory = RequestFactory()
    request = factory.post("/x", data or {}) if method == "POST" else factory.get("/x")
    request._messages = CookieStorage(request)
    return request


class Service:
    """Records its calls; raises ``error`` if given."""

    def __init__(self, error: ValidationError | None = None):
        self.calls: list[str] = []
        self.error = error

    def __call__(self, name: str) -> str:
        if self.error is not None:
            raise self.error
        self.calls.append(name)
        return name.upper()


@pytest.fixture
def rendered(monkeypatch):
    """What render_form rendered: (template, context, status)."""
    seen = []

    def fake_render(request, template, context, status=200):
        seen.append((template, context, status))
        return HttpResponse(status=status)

    monkeypatch.setattr(web_forms, "render", fake_render)
    return seen


def _view(request, service, *, errors=None):
    form = NameForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: service(form.cleaned_data["name"]),
        success=lambda result: f"Saved {result}.",
        then="/done/",
        errors=errors,
    ):
        return done
    return render_form(request, "page.html", {"form": form})


def test_get_shows_the_form_unbound_with_200(rendered):
    service = Service()
    response = _view(_request("GET"), service)
    assert response.status_code == 200
    template, context, status = rendered[0]
    assert template == "page.html" and status == 200
    assert not context["form"].is_bound
    assert service.calls == []


def test_valid_post_calls_the_service_says_so_and_redirects(rendered):
    service = Service()
    request = _request("POST", {"name": "ada"})
    response = _view(request, service)
    assert service.calls == ["ada"]
    assert response.status_code == 302 and response["Location"] == "/done/"
    assert [str(m) for m in get_messages(request)] == ["Saved ADA."]
    assert rendered == []


def test_invalid_post_calls_nothing_and_shows_the_errors_with_400(rendered):
    service = Service()
    request = _request("POST", {"name": ""})
    response = _view(request, service)
    assert response.status_code == 400
    assert service.calls == []
    assert "name" in rendered[0][1]["form"].errors
    assert list(get_messages(request)) == []


def test_a_service_field_error_goes_on_the_form_with_400(rendered):
    service = Service(ValidationError({"name": "Taken."}))
    request = _request("POST", {"name": "ada"})
    response = _view(request, service)
    assert response.status_code == 400
    assert service.calls == []
    assert rendered[0][1]["form"].errors == {"name": ["Taken."]}
    assert list(get_messages(request)) == []


def test_a_service_error_on_no_field_goes_at_the_top_of_the_form(rendered):
    service = Service(ValidationError("Closed."))
    response = _view(_request("POST", {"name": "ada"}), service)
    assert response.status_code == 400
    assert rendered[0][1]["form"].non_field_errors() == ["Closed."]


def test_with_an_error_list_non_field_errors_go_in_the_list():
    errors: list[str] = []
    form = NameForm({"name": "ada"})
    request = _request("POST")
    result = submit(
        request,
        form,
        lambda: Service(ValidationError("Closed."))("ada"),
        success="Done.",
        then="/done/",
        errors=errors,
    )
    assert result is None
    assert errors == ["Closed."]
    assert not form.errors
    # A field error still goes on the form.
    form = NameForm({"name": "ada"})
    submit(
        request,
        form,
        lambda: Service(ValidationError({"name": "Taken."}))("ada"),
        success="Done.",
        then="/done/",
        errors=errors,
    )
    assert form.errors == {"name": ["Taken."]} and errors == ["Closed."]


def test_without_a_form_the_service_is_called_on_post_only():
    service = Service()
    assert submit(_request("GET"), None, lambda: service("x"), success=None, then="/") is None
    assert service.calls == []
    response = submit(_request("POST"), None, lambda: service("x"), success=None, then="/")
    assert response.status_code == 302 and service.calls == ["x"]
    errors: list[str] = []
    failing = Service(ValidationError(["One.", "Two."]))
    request = _request("POST")
    assert (
        submit(request, None, lambda: failing("x"), success="No.", then="/", errors=errors) is None
    )
    assert errors == ["One.", "Two."]
    assert list(get_messages(request)) == []


def test_then_may_use_the_result():
    response = submit(
        _request("POST", {"name": "ada"}),
        NameForm({"name": "ada"}),
        lambda: "/items/7/",
        success=None,
        then=lambda url: url,
    )
    assert response["Location"] == "/items/7/"


def test_act_says_what_happened_and_redirects_either_way():
    from peersupport.web.forms import act

    request = _request("POST")
    response = act(request, lambda: Service()("x"), success="Done.", then="/back/")
    assert response["Location"] == "/back/"
    assert [str(m) for m in get_messages(request)] == ["Done."]
    request = _request("POST")
    failing = Service(ValidationError(["Not now."]))
    response = act(request, lambda: failing("x"), success="Done.", then="/back/")
    assert response["Location"] == "/back/"
    assert [str(m) for m in get_messages(request)] == ["Not now."]
