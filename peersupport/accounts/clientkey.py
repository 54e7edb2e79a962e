"""A client's address as rate limits may keep it: an HMAC that a database copy cannot reverse.

Rate limits count sign-ins, sign-ups and password resets per address in the database cache
(``peersupport_cache``). Their keys never hold the address itself: they hold an HMAC of it under
a key derived from ``SECRET_KEY`` (which is never in the database) for this purpose only, and of
the current UTC day, so that the same address gives unrelated tags from one day to the next.
Within the day the tag counts one address as one client, which is all a limit needs; the
entries expire with the limit's window (a minute).
"""

import ipaddress
from datetime import UTC

from allauth import app_settings as allauth_settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

PURPOSE = "peersupport.accounts.clientkey.rate-limit"


def _network(ip: str) -> str:
    """The address as allauth counts it: an IPv6 address by its prefix (one household's /64)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network(f"{addr}/{prefix}", strict=False).network_address)
    return str(addr)


def client_tag(ip: str, *, now=None) -> str:
    """An opaque tag for ``ip`` on this UTC day; not an address, so allauth keeps it as it is."""
    day = (now or timezone.now()).astimezone(UTC).date().isoformat()
    mac = salted_hmac(PURPOSE, f"{day}|{_network(ip)}", algorithm="sha256")
    return "client-" + mac.hexdigest()[:32]


CACHE_PURPOSE = "peersupport.accounts.clientkey.cache-key"


def opaque_cache_key(key: str, key_prefix: str, version: int) -> str:
    """KEY_FUNCTION of the database cache: every key as stored is an HMAC of the key.

    Keys name what they count: allauth's rate limits hold an unkeyed SHA-256 of their subject
    (``mfa-auth-user-<id>``, an e-mail address), which anyone with a copy of the cache table
    reverses by hashing every account id or address, learning who was signing in, and when.
    Under a key derived from ``SECRET_KEY`` (never in the database) the stored key says nothing;
    Django still finds the entry, since it applies the same function on every read and write.
    Rotating ``SECRET_KEY`` orphans the entries, which is harmless for a cache: they expire.
    """
    mac = salted_hmac(CACHE_PURPOSE, f"{key_prefix}:{version}:{key}", algorithm="sha256")
    return "k:" + mac.hexdigest()
