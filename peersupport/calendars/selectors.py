"""Reads of calendar feeds. A feed answers only while its token matches, its kind is still
registered, the account is active and the person still holds one of the source's roles;
otherwise 404, the same answer as for a token that never existed."""

from django.http import Http404

from .models import Feed, token_hash
from .registry import Source, source, sources_for


def feed_by_token(token: str) -> tuple[Feed, Source]:
    feed = (
        Feed.objects.select_related("user")
        .filter(token_hash=token_hash(token), user__is_active=True)
        .first()
    )
    found = source(feed.kind) if feed is not None else None
    if found is None or not feed.user.has_role(*found.roles):
        raise Http404
    return feed, found


def own_source(user, kind: str) -> Source:
    """The source ``kind`` if ``user`` may have a feed of it, else 404."""
    for found in sources_for(user):
        if found.kind == kind:
            return found
    raise Http404


def own_feeds(user) -> dict[str, Feed]:
    """``user``'s feeds by kind (the tokens are not in them: only their hashes are kept)."""
    return {f.kind: f for f in Feed.objects.filter(user=user)}
