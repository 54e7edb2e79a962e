"""The supporter's calendar feeds page and the feeds themselves.

The page lists each kind of feed the person may have (the registered sources), says what each
reveals, and makes, replaces or stops its secret address; a new address is shown on that one
response only. The feed is public behind its token, because calendar apps cannot sign in.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required
from peersupport.web import ics

from . import selectors, services
from .registry import sources_for


def _page(request, *, made: tuple[str, str] | None = None):
    feeds = selectors.own_feeds(request.user)
    rows = [
        {
            "source": s,
            "feed": feeds.get(s.kind),
            "url": made[1] if made and made[0] == s.kind else "",
        }
        for s in sources_for(request.user)
    ]
    return render(request, "calendars/mine.html", {"rows": rows})


@roles_required(Role.PEER_SUPPORTER)
@require_GET
def mine(request):
    return _page(request)


@roles_required(Role.PEER_SUPPORTER)
@never_cache
@require_POST
def reset(request, kind: str):
    source = selectors.own_source(request.user, kind)
    token = services.feed_reset(actor=request.user, source=source)
    url = request.build_absolute_uri(reverse("calendars:feed", args=[token]))
    # Shown on this response only: the token itself is never stored.
    return _page(request, made=(kind, url))


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def revoke(request, kind: str):
    source = selectors.own_source(request.user, kind)
    if services.feed_revoke(actor=request.user, source=source):
        messages.success(request, f"The address of “{source.title}” no longer works.")
    else:
        messages.info(request, f"“{source.title}” had no address to stop.")
    return redirect("calendars:mine")


@public
@never_cache
@require_GET
def feed(request, token: str):
    found, source = selectors.feed_by_token(token)
    body = ics.calendar(source.events(found.user), name=source.title, product=source.kind)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response
