import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
application = get_wsgi_application()


def _refuse_to_start_without_keys():
    """Stored values under a key that ENCRYPTION_KEYS lacks would be unreadable: say which
    ids are missing at start-up rather than at the first page that needs them."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from peersupport.crypto.checks import missing_key_ids, missing_keys_message

    try:
        missing = missing_key_ids()
    except DatabaseError:
        return  # not migrated yet; migrate will come first
    if missing:
        raise ImproperlyConfigured(missing_keys_message(missing))


_refuse_to_start_without_keys()
