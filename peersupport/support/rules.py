"""Pure rules of the support app: no reads, no writes."""

import hashlib
import hmac

from django.conf import settings

from peersupport.accounts.models import User


def requester_tag(user: User) -> str:
    """A keyed hash of the account id: lets an employee list their own requests without the
    database saying who asked."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"requester:{user.pk}".encode(), hashlib.sha256
    ).hexdigest()
