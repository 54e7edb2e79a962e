"""Pure rules of the support app: no reads, no writes."""

import hashlib
import hmac

from django.conf import settings

from peersupport.accounts.models import User

from .codenames import codename_keys, keyed_hash


def requester_tag(user: User) -> str:
    """A keyed hash of the account id: lets an employee list their own requests without the
    database saying who asked. Keyed by the newest codename key (not SECRET_KEY)."""
    return keyed_hash(codename_keys()[0], f"requester:{user.pk}")


def requester_tags(user: User) -> list[str]:
    """Every tag that may still name this account's requests, the current one first: under each
    codename key, then the tags made before codename keys existed (keyed by SECRET_KEY, and by
    each of SECRET_KEY_FALLBACKS so that rotating SECRET_KEY does not cut anyone off)."""
    tags = [keyed_hash(key, f"requester:{user.pk}") for key in codename_keys()]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        tags.append(
            hmac.new(secret.encode(), f"requester:{user.pk}".encode(), hashlib.sha256).hexdigest()
        )
    return list(dict.fromkeys(tags))


# The ways of being reached that can also carry a family member's "you have a new message".
ALERTABLE = ("email", "phone", "text")
