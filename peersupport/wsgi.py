import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
application = get_wsgi_application()


def _refuse_to_start_without_keys():
    """Stored values under a key that ENCRYPTION_KEYS lacks would be unreadable, and a wrong key
    under a known id would fail every read and write values no other server can read: say so
    at start-up, naming the key ids, rather than at the first page that needs them."""
    from django.core.exceptions import ImproperlyConfigured

    from peersupport.crypto.checks import key_problems

    problems = key_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(message for _, message in problems))


_refuse_to_start_without_keys()
