"""The page where each person chooses how they are alerted: the channels for each kind of alert
relevant to their roles, and their quiet hours. Here in ``web`` because the page sits above
``notifications``, which holds the form, the reads and the write."""

from django.views.decorators.http import require_http_methods

from peersupport.accounts.permissions import signed_in
from peersupport.notifications import selectors, services
from peersupport.notifications.forms import AlertSettingsForm

from .forms import posted, render_form, submit


@signed_in
@require_http_methods(["GET", "POST"])
def alert_settings(request):
    form = AlertSettingsForm(
        posted(request),
        current=selectors.alert_settings(request.user),
        channels=services.choosable_channels(),
    )
    if done := submit(
        request,
        form,
        lambda: services.alert_settings_save(
            actor=request.user,
            choices=form.choices(),
            quiet_start=form.cleaned_data["quiet_start"],
            quiet_end=form.cleaned_data["quiet_end"],
            phone=form.cleaned_data["phone"],
        ),
        success="Your alert settings are saved.",
        then="web:alert_settings",
    ):
        return done
    return render_form(
        request,
        "web/alert_settings.html",
        {"form": form, "sms_on": services.sms_configured()},
    )
