"""The shared form fields (peersupport/formfields.py): ids a database cannot hold, text
without bidirectional-override characters, and the fast choice widgets (the same HTML as
Django's)."""

import hashlib
import importlib
import pkgutil

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

import peersupport
from peersupport.accounts.models import Language
from peersupport.formfields import (
    INPUT_WIDGETS,
    PYTHON_TEMPLATES,
    DateTimeField,
    FastCheckboxSelectMultiple,
    FastRenderer,
    FastSelect,
    FastSelectMultiple,
    IdChoiceField,
    IdMultipleChoiceField,
    PlainTextField,
    strip_bidi_controls,
)

HUGE = ["12345678901234567890", str(2**63), "-1", "١", " 1", "1.0", "0x1", ""]


def _project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(peersupport.__path__, "peersupport."):
        if module.name.rsplit(".", 1)[-1].startswith("forms"):
            importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("peersupport."):
            found.append(cls)
    return found


def test_every_model_choice_in_the_project_refuses_ids_no_row_can_have():
    forms_found = _project_forms()
    assert len(forms_found) > 20
    unsafe = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms_found
        for name, field in form.base_fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and not isinstance(field, (IdChoiceField, IdMultipleChoiceField))
    ]
    assert not unsafe, "use peersupport.formfields.IdChoiceField / IdMultipleChoiceField"


def test_every_date_and_time_field_in_the_project_refuses_moments_that_cannot_be_stored():
    unsafe = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateTimeField) and not isinstance(field, DateTimeField)
    ]
    assert not unsafe, "use peersupport.formfields.DateTimeField"


@pytest.mark.parametrize(
    ("typed", "valid"),
    [
        ("9999-12-31T23:59", False),  # past the end once in UTC: was a 500
        ("0001-01-01T00:00", False),
        ("1899-12-31T23:59", False),
        ("9998-12-31T23:59", True),
        ("2026-12-31T23:59", True),  # the year's last minute
        ("2027-01-01T00:00", True),
    ],
)
def test_date_and_time_fields_stay_in_storable_years(typed, valid):
    class Form(forms.Form):
        at = DateTimeField()

    form = Form({"at": typed})
    assert form.is_valid() is valid
    if not valid:
        assert form.errors["at"] == ["Enter a date between 1900 and 9998."]


@pytest.mark.django_db
@pytest.mark.parametrize("value", [v for v in HUGE if v])
def test_id_fields_refuse_what_no_row_can_have(value):
    one = IdChoiceField(queryset=Language.objects.all())
    many = IdMultipleChoiceField(queryset=Language.objects.all())
    with pytest.raises(forms.ValidationError) as exc:
        one.clean(value)
    assert exc.value.code == "invalid_choice"
    with pytest.raises(forms.ValidationError) as exc:
        many.clean([value])
    assert exc.value.code == "invalid_choice"


@pytest.mark.django_db
def test_id_fields_still_accept_real_choices():
    language = Language.objects.create(code="zz", name="Testish")
    assert IdChoiceField(queryset=Language.objects.all()).clean(str(language.pk)) == language
    assert IdChoiceField(queryset=Language.objects.all(), required=False).clean("") is None
    many = IdMultipleChoiceField(queryset=Language.objects.all())
    assert list(many.clean([str(language.pk)])) == [language]
    assert list(many.clean([language.pk])) == [language]


def test_bidi_controls_are_stripped():
    evil = "pay\u202eFDP.exe\u202c \u2066a\u2069\u2067b\u2069\u2068c\u2069 \u200e\u200f\u061cd"
    assert strip_bidi_controls(evil) == "payFDP.exe abc d"
    assert strip_bidi_controls("שלום עולם, مرحبا") == "שלום עולם, مرحبا"
    assert strip_bidi_controls(None) is None
    field = PlainTextField(max_length=5)
    assert field.clean("\u202eabcde\u202c") == "abcde"
    with pytest.raises(forms.ValidationError):
        PlainTextField().clean("\u202e\u202c")


# Every character that needs escaping, in values, labels, group names and attributes; a label
# already safe; a number as a label; an empty choice; a group.
TRICKY_CHOICES = [
    ("", "---------"),
    (1, "a <b> & \"c\" 'd'"),
    ('x"<&>', mark_safe("<i>safe</i>")),
    (3, 1234),
    ("G<&>", [(5, "five"), (6, "six&")]),
]
TRICKY_ATTRS = [
    None,
    {
        "id": 'id_f"<',
        "required": True,
        "disabled": False,
        "aria-describedby": 'f_helptext f_error"<',
        "aria-invalid": "true",
        "class": "a<b",
    },
]
FAST_WIDGETS = [
    (FastSelect, forms.Select, ["", "1", 'x"<&>', "6", None]),
    (FastSelectMultiple, forms.SelectMultiple, [[], ["1", "6"], ['x"<&>', "3"]]),
    (FastCheckboxSelectMultiple, forms.CheckboxSelectMultiple, [[], ["1"], ['x"<&>', "5"]]),
]


# Without groups, a select is written straight from its choices (formfields._flat_select_html);
# a value given twice is selected once, as Django does; None is an empty value.
FLAT_CHOICES = [*TRICKY_CHOICES[:-1], (None, "none"), (1, "again"), (7, None)]


@pytest.mark.parametrize(("fast", "django_widget", "values"), FAST_WIDGETS)
@pytest.mark.parametrize("attrs", TRICKY_ATTRS)
@pytest.mark.parametrize("choices", [TRICKY_CHOICES, FLAT_CHOICES], ids=["groups", "flat"])
def test_fast_widgets_render_the_same_html_as_djangos(fast, django_widget, values, attrs, choices):
    for value in values:
        expected = django_widget(choices=choices).render(
            'f<"n', value, attrs, renderer=DjangoTemplates()
        )
        assert fast(choices=choices).render('f<"n', value, attrs) == expected
    assert "&lt;b&gt; &amp; &quot;c&quot; &#x27;d&#x27;" in expected
    assert "<i>safe</i>" in expected


class _LanguageForm(forms.Form):
    one = IdChoiceField(queryset=Language.objects.order_by("name"), help_text="Pick one.")
    many = IdMultipleChoiceField(
        queryset=Language.objects.order_by("name"), widget=FastCheckboxSelectMultiple
    )


class _DjangoLanguageForm(_LanguageForm):
    default_renderer = DjangoTemplates
    one = forms.ModelChoiceField(queryset=Language.objects.order_by("name"), help_text="Pick one.")
    many = forms.ModelMultipleChoiceField(
        queryset=Language.objects.order_by("name"), widget=forms.CheckboxSelectMultiple
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [None, {"one": "", "many": []}, {"one": "999", "many": ["999"]}, "chosen"]
)
def test_a_bound_fast_select_renders_as_djangos(data):
    """The label, ``required``, ``selected``, and the errors' and help's ``aria-describedby``
    and ``aria-invalid`` that a bound field adds are all kept."""
    Language.objects.create(code="zz", name="Zed <&>")
    chosen = Language.objects.create(code="aa", name='"Aa"')
    if data == "chosen":
        data = {"one": str(chosen.pk), "many": [str(chosen.pk)]}
    fast, django_form = _LanguageForm(data), _DjangoLanguageForm(data)
    if data is not None:
        fast.is_valid(), django_form.is_valid()
    assert str(fast) == str(django_form)
    assert isinstance(_LanguageForm().fields["one"].widget, FastSelect)


class _ValuesLanguageForm(forms.Form):
    one = IdChoiceField(
        queryset=Language.objects.order_by("name"),
        options=lambda languages: list(languages.values_list("pk", "name")),
        help_text="Pick one.",
    )


@pytest.mark.django_db
def test_a_select_of_rows_is_one_query_and_its_options_may_be_read_as_values(
    django_assert_num_queries,
):
    """Rendering reads the rows once (no COUNT first); ``options`` gives the same HTML from
    (id, label) pairs, and a posted id is still checked against the queryset."""
    Language.objects.create(code="zz", name="Zed <&>")
    chosen = Language.objects.create(code="aa", name='"Aa"')
    with django_assert_num_queries(1):
        html = str(_LanguageForm(initial={"one": chosen.pk})["one"])
    assert "selected>&quot;Aa&quot;</option>" in html and "Zed &lt;&amp;&gt;" in html
    with django_assert_num_queries(1):
        assert str(_ValuesLanguageForm(initial={"one": chosen.pk})["one"]) == html
    assert _ValuesLanguageForm({"one": str(chosen.pk)}).is_valid()
    assert not _ValuesLanguageForm({"one": str(chosen.pk + 99)}).is_valid()


def test_every_select_of_rows_in_the_project_is_fast():
    """A choice of rows (units, people, courses, languages) grows with the data: no form shows
    it with Django's template-rendered widgets."""
    slow = (forms.Select, forms.SelectMultiple, forms.CheckboxSelectMultiple)
    fast = (FastSelect, FastSelectMultiple, FastCheckboxSelectMultiple)
    found = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and isinstance(field.widget, slow)
        and not isinstance(field.widget, fast)
    ]
    assert not found, "use peersupport.formfields.FastSelect / FastCheckboxSelectMultiple"


# The form renderer (FastRenderer): Django's form templates written in Python.

# What the Python in peersupport/formfields.py was written from: a Django whose templates
# differ must be read again (and these digests updated).
DJANGO_TEMPLATES = {
    "attrs.html": "5053e00975c20246",
    "errors/list/default.html": "2a6c759f0af3438f",
    "errors/list/ul.html": "84f81a22e37d9f5a",
    "field.html": "fd3b0b7c28d88f5b",
    "label.html": "d1b2427488fc1b97",
    "widgets/attrs.html": "f729483efe44660f",
    "widgets/checkbox_option.html": "536745b405ef3a7f",
    "widgets/checkbox_select.html": "fa86f6eaeaa6beb1",
    "widgets/input.html": "770cf3acba1c18b6",
    "widgets/input_option.html": "3f244d9fd96613d0",
    "widgets/multiple_input.html": "8f111646a577d9ae",
    "widgets/radio.html": "fa86f6eaeaa6beb1",
    "widgets/radio_option.html": "536745b405ef3a7f",
    "widgets/select.html": "ed4d11ce3784486f",
    "widgets/select_option.html": "37fa6c7742580aa3",
    "widgets/textarea.html": "02fd58fa1a57514d",
    # {% include "django/forms/widgets/input.html" %}
    **{f"widgets/{name}.html": "7d7a5bc4ccc075bb" for name in INPUT_WIDGETS},
}


def test_the_templates_written_in_python_are_djangos_as_read():
    engine = DjangoTemplates().engine
    found = {
        name: hashlib.sha256(
            engine.get_template(f"django/forms/{name}").template.source.encode()
        ).hexdigest()[:16]
        for name in DJANGO_TEMPLATES
    }
    assert found == DJANGO_TEMPLATES
    assert {f"django/forms/{name}" for name in DJANGO_TEMPLATES} >= set(PYTHON_TEMPLATES)


def test_the_project_renders_forms_with_the_fast_renderer():
    assert isinstance(get_default_renderer(), FastRenderer)
    assert isinstance(forms.Form().renderer, FastRenderer)


class _EveryWidgetForm(forms.Form):
    """One field of each widget the renderer writes, with everything that needs escaping."""

    name = forms.CharField(label='Name <&> "q"', help_text="Your <b>name</b>.", max_length=5)
    asked = forms.CharField(label="Who?", required=False)
    time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), required=False
    )
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    at = forms.DateTimeField(required=False)
    number = forms.IntegerField(label=gettext_lazy("Number"), initial=1234567, required=False)
    email = forms.EmailField(required=False, disabled=True, initial='a"<b>@example.com')
    url = forms.URLField(required=False, label_suffix=" ->")
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    phone = forms.CharField(widget=forms.TextInput(attrs={"type": "tel"}), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, initial="<&>", required=False)
    agree = forms.BooleanField(help_text="Tick <i>it</i>.")
    text = forms.CharField(widget=forms.Textarea, initial="<script>\nhi", required=False)
    empty_text = forms.CharField(widget=forms.Textarea, required=False)
    one = forms.ChoiceField(choices=TRICKY_CHOICES, help_text="One.")
    many = forms.MultipleChoiceField(
        choices=TRICKY_CHOICES, widget=forms.CheckboxSelectMultiple, help_text="Many <&>."
    )
    radio = forms.ChoiceField(choices=TRICKY_CHOICES[1:3], widget=forms.RadioSelect)
    grouped = forms.ChoiceField(choices=TRICKY_CHOICES[3:], widget=forms.RadioSelect)
    choose = forms.MultipleChoiceField(choices=TRICKY_CHOICES, required=False)
    nothing = forms.CharField(label="", required=False)
    described = forms.CharField(
        widget=forms.TextInput(attrs={"aria-describedby": "mine", "id": "own"}),
        help_text="Help.",
        required=False,
    )
    described_many = forms.MultipleChoiceField(
        choices=TRICKY_CHOICES[1:3],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "grid<"}),
        help_text="Help.",
        required=False,
    )

    def clean(self):
        raise forms.ValidationError(mark_safe("All <em>wrong</em> & more"))


class _ClassesForm(_EveryWidgetForm):
    required_css_class = "needed"
    error_css_class = "wrong"


BAD = {"name": "much too long", "number": "x", "email": "no", "one": "nope", "many": ["9"]}
GOOD = {"name": "Al", "agree": "on", "one": "1", "many": ["1", "5"], "radio": "1", "grouped": "5"}


@pytest.mark.parametrize("form_class", [_EveryWidgetForm, _ClassesForm])
@pytest.mark.parametrize("data", [None, {}, BAD, GOOD])
@pytest.mark.parametrize(
    "options", [{}, {"auto_id": False}, {"prefix": "p<"}, {"label_suffix": ":"}]
)
def test_the_fast_renderer_writes_what_djangos_templates_do(form_class, data, options):
    fast = form_class(data, renderer=FastRenderer(), **options)
    django_form = form_class(data, renderer=DjangoTemplates(), **options)
    assert fast.is_bound == django_form.is_bound
    for form in (fast, django_form):
        form.errors  # noqa: B018 (validates a bound form)
    for way in ("as_div", "as_p", "as_table", "as_ul"):
        assert getattr(fast, way)() == getattr(django_form, way)(), way
    for name in fast.fields:
        assert fast[name].as_field_group() == django_form[name].as_field_group(), name
        assert str(fast[name].errors) == str(django_form[name].errors), name
    assert str(fast.non_field_errors()) == str(django_form.non_field_errors())
    if data == BAD and not options:
        html = fast.as_div()
        assert 'aria-describedby="id_many_helptext id_many_error"' in html
        assert '<ul class="errorlist" id="id_name_error">' in html
        assert "<li>All <em>wrong</em> & more</li>" in str(fast.non_field_errors())


def test_an_option_with_its_own_template_is_left_to_django():
    class Starred(forms.RadioSelect):
        option_template_name = "django/forms/widgets/input_option.html"  # no line end

    widget = Starred(choices=TRICKY_CHOICES[1:3])
    fast = widget.render("r", "1", {"id": "r"}, renderer=FastRenderer())
    assert fast == widget.render("r", "1", {"id": "r"}, renderer=DjangoTemplates())


def test_a_fixed_choice_field_shares_its_choices_and_a_form_may_still_replace_them():
    from peersupport.formfields import FixedChoiceField

    class _Form(forms.Form):
        kind = FixedChoiceField(choices=[("a", "A"), ("b", "B")], widget=FastSelect)

    first, second = _Form(), _Form()
    assert first.fields["kind"].choices is second.fields["kind"].choices
    assert first.fields["kind"].widget is not second.fields["kind"].widget
    # Assigning new choices to one form's field leaves the class's and the other form's alone.
    first.fields["kind"].choices = [("c", "C")]
    assert [v for v, _ in second.fields["kind"].choices] == ["a", "b"]
    assert [v for v, _ in _Form().fields["kind"].choices] == ["a", "b"]
    assert 'value="c"' in str(first["kind"]) and 'value="c"' not in str(second["kind"])
    assert _Form({"kind": "b"}).is_valid() and not _Form({"kind": "c"}).is_valid()
