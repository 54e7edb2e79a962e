"""The error summary every page shows after a refused form (peersupport/web/templatetags/
error_summary.py, templates/web/_error_summary.html). tests/system/test_authorization_matrix.py
sends every declared form empty and checks the summary wherever one comes back refused; the
browser tests check it on every page they visit (tests/browser/axe.py)."""

import re

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory

from peersupport.web.templatetags.error_summary import PageError, collect

pytestmark = pytest.mark.django_db


class ContactForm(forms.Form):
    name = forms.CharField(label="Your name")
    method = forms.ChoiceField(
        label="How to reach you",
        choices=[("p", "Phone"), ("e", "E-mail")],
        widget=forms.RadioSelect,
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        if self.data.get("name") == "clash":
            raise forms.ValidationError("These two answers cannot go together.")
        return super().clean()


def test_each_field_error_links_to_its_field_and_names_it_when_the_message_does_not():
    form = ContactForm({"name": "clash", "token": ""})
    errors = collect([form])
    assert PageError("These two answers cannot go together.") in errors
    # A radio group's link goes to its first button, the one its label points to.
    assert PageError("How to reach you: This field is required.", "#id_method_0") in errors
    # A hidden field has nothing to correct on the page: its message has no link.
    assert PageError("Token: This field is required.") not in errors
    assert PageError("This field is required.") in errors
    # The non-field error comes first, as the form shows it.
    assert errors[0] == PageError("These two answers cannot go together.")


def test_a_message_that_names_its_field_is_not_prefixed():
    form = ContactForm({"method": "p", "token": "x"})
    form.fields["name"].error_messages["required"] = "Give a value."
    assert collect([form]) == [PageError("Your name: Give a value.", "#id_name")]
    form = ContactForm({"method": "p", "token": "x"})
    form.fields["name"].error_messages["required"] = "Your name is needed."
    assert collect([form]) == [PageError("Your name is needed.", "#id_name")]


def test_unbound_and_valid_forms_give_nothing_and_each_error_shows_once():
    valid = ContactForm({"name": "Sam", "method": "p", "token": "x"})
    assert collect([ContactForm(), valid, "text", None, 3]) == []
    bad = ContactForm({"method": "p", "token": "x"})
    assert collect([bad, bad, [bad]], extra=["Not now."]) == [
        PageError("Not now."),
        PageError("Your name: This field is required.", "#id_name"),
    ]


def test_formsets_give_their_forms_errors_and_their_own():
    class Days(forms.BaseFormSet):
        def clean(self):
            raise forms.ValidationError("Give at least one day.")

    formset = forms.formset_factory(ContactForm, formset=Days, extra=1)(
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-method": "e"}
    )
    errors = collect([formset])
    assert errors[0] == PageError("Give at least one day.")
    assert PageError("Your name: This field is required.", "#id_form-0-name") in errors


def _page(context, method="POST"):
    request = getattr(RequestFactory(), method.lower())("/")
    template = Template(
        "{% load error_summary %}{% page_errors as page_errors %}<title>{% if page_errors %}"
        'Error: {% endif %}Page</title>{% if page_errors %}{% include "web/_error_summary.html" %}'
        "{% endif %}"
    )
    return template.render(Context({"request": request, **context}))


def test_the_summary_takes_focus_is_announced_and_the_title_says_error():
    html = _page({"form": ContactForm({"method": "p", "token": "x"})})
    assert html.startswith("<title>Error: Page</title>")
    summary = re.search(r"<div class=\"error-summary\"[^>]*>", html).group(0)
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#id_name" data-error-link>Your name: This field is required.</a>' in html
    assert "Nothing was saved." in html


def test_a_page_listing_its_own_errors_on_a_get_says_so_without_claiming_a_failed_save():
    html = _page({"errors": ["Voting is not open for this election."]}, method="GET")
    assert "Voting is not open for this election." in html and "<title>Error: " in html
    assert "Nothing was saved." not in html


def test_a_page_without_errors_has_no_summary():
    assert _page({"form": ContactForm(), "errors": []}) == "<title>Page</title>"


def test_a_refused_form_on_a_real_page(client_for):
    client = client_for("supporter")
    shown = client.get("/profile/").content.decode()
    assert "error-summary" not in shown and "<title>Error:" not in shown
    resp = client.post("/profile/", {"display_name": "1234"})
    page = resp.content.decode()
    assert re.search(r"<title>Error: [^<]*Your profile", page)
    # The summary is the first thing in the main content, before any heading.
    main = page.split('<main id="main"', 1)[1]
    assert main.index("error-summary") < main.index("<h1")
    assert '<a href="#id_display_name" data-error-link>' in page
    # The field carries the message too, tied to it for screen readers.
    field = re.search(r"<input[^>]*id=\"id_display_name\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in field and "id_display_name_error" in field
    assert 'id="id_display_name_error"' in page
