"""Who may use the webhooks pages (web/webhooks.py): the system administrator alone."""

from peersupport.accounts.models import Role

_ADMIN = frozenset({Role.SYSADMIN})

MATRIX = {
    "web:webhook_list": {"GET": _ADMIN},
    "web:webhook_add": {"GET": _ADMIN, "POST": _ADMIN},
    "web:webhook_edit": {"GET": _ADMIN, "POST": _ADMIN},
    "web:webhook_rotate": {"GET": _ADMIN, "POST": _ADMIN},
    "web:webhook_delete": {"GET": _ADMIN, "POST": _ADMIN},
    "web:webhook_test": {"GET": _ADMIN, "POST": _ADMIN},
}


def endpoint(dept=None, **fields):
    """An endpoint made through the service, as the webhooks page makes it. Returns it and
    its secret."""
    from peersupport.notifications import webhooks

    values = {
        "label": "Training unit",
        "url": "https://hooks.example.test/peersupport",
        "events": ["training.record.created"],
    } | fields
    return webhooks.endpoint_add(actor=None, **values)


# The pages of one endpoint.
_OF_ONE = ("web:webhook_edit", "web:webhook_rotate", "web:webhook_delete", "web:webhook_test")


def _an_endpoint(dept) -> dict:
    return {"endpoint_id": endpoint(dept)[0].pk}


URL_KWARGS = {name: _an_endpoint for name in _OF_ONE}

# tests/system/test_object_access.py
SHARED = {name: "the system administrator keeps every webhook endpoint" for name in _OF_ONE}
