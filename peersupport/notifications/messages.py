"""Every notification's words are a template: ``templates/messages/<topic>/<name>.txt``.

The template's first line is the subject; a blank line follows; the rest is the body. Plain
text, so nothing is HTML-escaped. Alerts carry no names and no protected content: they say
that something waits and link to it (``site_link``), and the templates are where a reviewer
checks that.
"""

from functools import cache

from django.conf import settings
from django.template import Context, Engine
from django.urls import reverse

from .models import Notification
from .services import notify


@cache
def _engine() -> Engine:
    dirs = [d for t in settings.TEMPLATES for d in t.get("DIRS", [])]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False)


def render_message(name: str, **context) -> tuple[str, str]:
    """(subject, body) of ``templates/messages/<name>.txt`` rendered with ``context``."""
    text = _engine().get_template(f"messages/{name}.txt").render(Context(context, autoescape=False))
    subject, _, body = text.partition("\n")
    subject = subject.strip()
    if not subject:
        raise ValueError(f"messages/{name}.txt has no subject on its first line")
    return subject, body.strip("\n").rstrip()


def site_link(name: str, **kwargs) -> str:
    """The absolute address of URL ``name``, for a message that leaves the site."""
    return f"{settings.SITE_URL.rstrip('/')}{reverse(name, kwargs=kwargs or None)}"


def notify_message(
    *, key: str, user, message: str, topic: str = "", phone: str = "", **context
) -> list[Notification]:
    """``notify`` with the subject and body of the template ``message``, which is also the
    alert's kind (kinds.py); ``topic`` defaults to the template's folder. The context's
    ``link`` is kept with the row, for a message that gathers several."""
    subject, body = render_message(message, **context)
    return notify(
        key=key,
        user=user,
        subject=subject,
        body=body,
        kind=message,
        topic=topic or message.split("/", 1)[0],
        phone=phone,
        link=str(context.get("link", "")),
    )
