"""Radio buttons and check boxes written out in Python.

Django renders a choice widget through four templates per option (the group, the option, the
input and its attributes): about 70 % of the contact form's CPU time for its ~50 options
(bench: the contact form GET at 8x the signed-in floor). These widgets produce the same HTML,
byte for byte (tests/support/test_widgets.py compares them with Django's own rendering), from
the same ``get_context``, without a template.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _option(option: dict) -> str:
    # As django/forms/widgets/input_option.html and input.html (each template's final newline
    # included, as the template loader keeps it).
    value = "" if option["value"] is None else format_html(' value="{}"', option["value"])
    field = format_html(
        '<input type="{}" name="{}"{}{}>',
        option["type"],
        option["name"],
        value,
        _attrs(option["attrs"]),
    )
    if not option["wrap_label"]:
        return field + "\n\n"
    target = format_html(' for="{}"', option["attrs"]["id"]) if option["attrs"].get("id") else ""
    return format_html("<label{}>{}\n {}</label>\n\n", target, field, option["label"])


class _PythonRendered:
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        element_id, css = widget["attrs"].get("id"), widget["attrs"].get("class")
        html = format_html(
            "<div{}{}>",
            format_html(' id="{}"', element_id) if element_id else "",
            format_html(' class="{}"', css) if css else "",
        )
        for group, options, _index in widget["optgroups"]:
            if group:
                html += format_html("\n  <div><label>{}</label>", group)
            for option in options:
                html += format_html("<div>\n    {}</div>", _option(option))
            if group:
                html += mark_safe("\n  </div>")  # noqa: S308 (a literal)
        return html + mark_safe("\n</div>")  # noqa: S308 (a literal)


class RadioSelect(_PythonRendered, forms.RadioSelect):
    pass


class CheckboxSelectMultiple(_PythonRendered, forms.CheckboxSelectMultiple):
    pass
