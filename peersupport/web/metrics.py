"""The Prometheus endpoint (``GET /metrics``) and the request timings it reports.

Off unless configured (settings.METRICS_TOKEN, METRICS_ALLOWED_NETWORKS): then the URL answers
404, and the timing middleware takes itself out of the chain. On, a scrape must come from an
allowed network and/or carry the token (compared in constant time); anyone else gets 403 and
no metrics. A scrape is not audited (it would be one event every few seconds, about nothing),
reads no session and sets no cookie.

Request latency is a histogram labelled by the URL's *name* (``namespace:name``), the method and
the status class, never the path: paths hold ids and tokens. Under gunicorn each worker process
adds its observations to memory-mapped files in PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode), and a scrape, answered by any one worker, sums every worker's files; the
gunicorn config (peersupport/gunicorn_conf.py) empties the folder when the server starts.

The other gauges are read from the database at scrape time through the kernel's registry
(notifications/monitoring.py), each reader a fixed number of queries: counts and ages only.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from peersupport.accounts.permissions import machine
from peersupport.notifications import monitoring

PREFIX = "peersupport_"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

LATENCY = Histogram(
    "peersupport_request_duration_seconds",
    "Time to answer a request, by URL name, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)


class LatencyMiddleware:
    """First in MIDDLEWARE, so it times everything after it. A request no URL matched (a 404,
    a static file whitenoise answered) counts under one fixed name; a method outside HTTP's
    usual ones under "other", so nobody can make new series by sending made-up ones."""

    def __init__(self, get_response):
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.static = "/" + settings.STATIC_URL.lstrip("/")
        # Label children by their label values: a dict look-up instead of labels()'s checks.
        self.children = {}

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        if match is not None:
            view = match.view_name
        else:
            view = "(static)" if request.path.startswith(self.static) else "(unmatched)"
        method = request.method if request.method in METHODS else "other"
        status = STATUS_CLASSES[min(max(response.status_code // 100, 1), 5) - 1]
        key = (view, method, status)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = LATENCY.labels(*key)
        child.observe(elapsed)
        return response


def client_address(request) -> str:
    """The connecting address, or behind TRUSTED_PROXY_COUNT proxies of ours the one the
    nearest of them saw (the N-th from the right of X-Forwarded-For), as allauth reads it."""
    count = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if not count:
        return request.META.get("REMOTE_ADDR", "")
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    # Behind our proxies a request with fewer hops than they add did not come through them
    # all: the connecting address is then a proxy's own, which an allowed network may well
    # include. No address: refused.
    return hops[-count] if len(hops) >= count and all(hops) else ""


def _from_allowed_network(request) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_NETWORKS)


def _carries_token(request) -> bool:
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), settings.METRICS_TOKEN.encode())


class DatabaseGauges:
    """A collector that reads the registered gauges (notifications/monitoring.py) once per
    scrape."""

    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for gauge in monitoring.read_all():
            family = families.get(gauge.name)
            if family is None:
                family = families[gauge.name] = GaugeMetricFamily(
                    PREFIX + gauge.name, gauge.help, labels=sorted(gauge.labels)
                )
            family.add_metric([gauge.labels[k] for k in sorted(gauge.labels)], gauge.value)
        yield from families.values()


def exposition() -> bytes:
    """Every metric in the text format: every process's request timings, then the gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(LATENCY)
    registry.register(DatabaseGauges())
    return generate_latest(registry)


@machine
@require_GET
@never_cache
def metrics(request):
    if not settings.METRICS_ENABLED:
        return HttpResponseNotFound(b"", content_type="text/plain")
    if settings.METRICS_NETWORKS and not _from_allowed_network(request):
        return HttpResponseForbidden(b"", content_type="text/plain")
    if settings.METRICS_TOKEN and not _carries_token(request):
        return HttpResponseForbidden(b"", content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
