"""The Prometheus endpoint (peersupport/web/metrics.py): off unless configured, a token and/or
an allowed network, output that parses, gauges that move with the data, a fixed number of
queries, request timings labelled by URL name, and nothing in it that names anyone."""

import ipaddress
import math
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from peersupport import gunicorn_conf
from peersupport.audit.models import AuditEvent
from peersupport.confidentiality import services as confidentiality
from peersupport.governance.models import ExceptionCategory
from peersupport.notifications import scheduling
from peersupport.notifications.models import Notification
from peersupport.notifications.services import deliver_due
from peersupport.web.metrics import LatencyMiddleware

from ..factories import UserFactory
from ..matrix.support_supporter import held_request, offered_request

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
URL = "/metrics"
TOKEN = "scrape-token-0123456789abcdef0123456789"
NAME = "Quentin Canaryperson"
PHONE = "555 0142 7788"
NOTE = "Canary-note: said he has a plan for tonight"


@pytest.fixture
def metrics_on(settings):
    """Metrics on with a token only; a test changes the networks itself."""
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_NETWORKS = []
    settings.METRICS_ENABLED = True
    return settings


def scrape(client, **extra) -> dict[tuple, float]:
    """Every sample of a good scrape, parsed by prometheus_client's own parser:
    {(name, ((label, value), ...)): value}."""
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples[(f"peersupport_{name}", tuple(sorted(labels.items())))]


# --- Access -----------------------------------------------------------------------------------


def test_off_by_default_answers_404_with_nothing(client, personas, client_for):
    for c in (client, client_for("sysadmin")):
        response = c.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 404
        assert response.content == b""
    assert client.put(URL).status_code == 405


def test_off_by_default_the_timing_middleware_leaves_the_chain(settings):
    settings.METRICS_ENABLED = False
    with pytest.raises(MiddlewareNotUsed):
        LatencyMiddleware(lambda request: None)


def test_the_right_token_gets_the_metrics(client, metrics_on):
    samples = scrape(client)
    assert ("peersupport_outbox_waiting", (("channel", "email"),)) in samples


@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", "Bearer ", TOKEN],
)
def test_a_wrong_or_missing_token_gets_403_and_no_metrics(client, metrics_on, authorization):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get(URL, **extra)
    assert response.status_code == 403
    assert b"peersupport" not in response.content


def test_a_signed_in_session_is_no_substitute_for_the_token(metrics_on, client_for):
    response = client_for("sysadmin").get(URL)
    assert response.status_code == 403


def test_allowed_network_only(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    settings.METRICS_ENABLED = True
    assert client.get(URL, REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get(URL, REMOTE_ADDR="10.21.3.4").status_code == 403
    assert client.get(URL, REMOTE_ADDR="not an address").status_code == 403
    # Without trusted proxies, X-Forwarded-For is anyone's to write: never believed.
    forged = client.get(URL, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert forged.status_code == 403


def test_behind_trusted_proxies_the_address_the_nearest_proxy_saw(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    settings.METRICS_ENABLED = True
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "192.0.2.1"}
    assert client.get(URL, HTTP_X_FORWARDED_FOR="10.20.3.4", **proxy).status_code == 200
    # What the client wrote itself is left of what our proxy appended.
    spoofed = client.get(URL, HTTP_X_FORWARDED_FOR="10.20.3.4, 198.51.100.7", **proxy)
    assert spoofed.status_code == 403
    # A request that did not come through the proxy, from an address the allowed network
    # includes (the proxy's own host, say): refused, not taken at its connecting address.
    inside = {"REMOTE_ADDR": "10.20.0.1"}
    assert client.get(URL, **inside).status_code == 403
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client.get(URL, HTTP_X_FORWARDED_FOR="10.20.3.4", **inside).status_code == 403


def test_with_both_a_scrape_needs_both(client, metrics_on):
    metrics_on.METRICS_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    good = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert client.get(URL, REMOTE_ADDR="10.20.3.4", **good).status_code == 200
    assert client.get(URL, REMOTE_ADDR="192.0.2.1", **good).status_code == 403
    assert client.get(URL, REMOTE_ADDR="10.20.3.4").status_code == 403


def test_a_scrape_sets_no_cookie_opens_no_session_and_is_not_audited(client, metrics_on):
    sessions, events = Session.objects.count(), AuditEvent.objects.count()
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    refused = client.get(URL, HTTP_AUTHORIZATION="Bearer wrong")
    assert (response.status_code, refused.status_code) == (200, 403)
    assert not response.cookies and not refused.cookies
    assert "Set-Cookie" not in response.headers
    assert "no-cache" in response["Cache-Control"]
    assert (Session.objects.count(), AuditEvent.objects.count()) == (sessions, events)


# --- Gauges -------------------------------------------------------------------------------------


@pytest.fixture
def escalation(personas):
    """An escalation raised from a request whose requester and note are canaries; nobody is on
    the roster, so everyone holding the BHS manager or advocacy role is alerted."""
    request = held_request(personas["supporter"], name=NAME, contact_detail=PHONE)
    deliver_due()
    return confidentiality.escalation_raise(
        actor=personas["supporter"],
        category=ExceptionCategory.objects.get(code="danger-to-others"),
        note=NOTE,
        request=request,
    )


def test_the_outbox_gauges_move_with_a_waiting_and_a_failed_delivery(client, metrics_on, dept):
    before = scrape(client)
    assert value(before, "outbox_waiting", channel="email") == 0
    assert value(before, "outbox_oldest_due_age_seconds", channel="email") == 0
    now = timezone.now()
    user = dept.users["employee"]
    common = {"user": user, "channel": "email", "address": user.email, "subject": "s", "body": "b"}
    Notification.objects.create(key="m1", next_attempt_at=now - timedelta(minutes=10), **common)
    Notification.objects.create(
        key="m2",
        attempts=3,
        last_error="SMTPServerDisconnected: gone",
        created_at=now - timedelta(hours=2),
        next_attempt_at=now + timedelta(minutes=5),
        **common,
    )
    Notification.objects.create(key="m3", status="sent", **common)
    after = scrape(client)
    assert value(after, "outbox_waiting", channel="email") == 2
    assert 590 < value(after, "outbox_oldest_due_age_seconds", channel="email") < 700
    assert value(after, "outbox_failing", channel="email") == 1
    assert 7100 < value(after, "outbox_failing_oldest_age_seconds", channel="email") < 7300
    assert value(after, "outbox_waiting", channel="sms") == 0


def test_an_unacknowledged_escalation_shows_and_its_acknowledgement_clears_it(
    client, metrics_on, escalation, personas
):
    samples = scrape(client)
    assert value(samples, "escalations_unacknowledged") == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        later = scrape(client)
    assert 1190 < value(later, "escalations_unacknowledged_oldest_age_seconds") < 1300
    confidentiality.escalation_acknowledge(actor=personas["bhs_manager"], escalation=escalation)
    cleared = scrape(client)
    assert value(cleared, "escalations_unacknowledged") == 0
    assert value(cleared, "escalations_unacknowledged_oldest_age_seconds") == 0


def test_a_request_nobody_accepted_shows_until_a_supporter_accepts(client, metrics_on, personas):
    assert value(scrape(client), "support_requests_unaccepted") == 0
    request = offered_request(personas["supporter"], name=NAME)
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        samples = scrape(client)
    assert value(samples, "support_requests_unaccepted") == 1
    assert 1790 < value(samples, "support_requests_unaccepted_oldest_age_seconds") < 1900
    from peersupport.support import services

    offer = request.offers.get(answer="pending")
    services.offer_answer(actor=personas["supporter"], offer=offer, accept=True)
    assert value(scrape(client), "support_requests_unaccepted") == 0


def test_the_worker_heartbeat_and_the_task_queue(client, metrics_on):
    assert math.isinf(value(scrape(client), "worker_heartbeat_age_seconds"))
    scheduling.beat()
    assert value(scrape(client), "worker_heartbeat_age_seconds") < 5
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert 175 < value(scrape(client), "worker_heartbeat_age_seconds") < 200
    from peersupport.notifications.tasks import deliver_notification

    due_before = value(scrape(client), "tasks_due")
    deliver_notification.enqueue(0)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        later = scrape(client)
    assert value(later, "tasks_due") == due_before + 1
    assert value(later, "tasks_oldest_due_age_seconds") >= 115


def test_a_tick_beats(metrics_on):
    from peersupport.notifications.models import WorkerHeartbeat
    from peersupport.web.tasks import kernel_tick

    kernel_tick.call()
    assert WorkerHeartbeat.objects.get().beat_at > timezone.now() - timedelta(seconds=5)


def _scrape_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        scrape(client)
    return len(ctx.captured_queries)


def test_a_scrape_makes_the_same_few_queries_however_much_waits(client, metrics_on, escalation):
    small = _scrape_queries(client)
    assert small <= 5  # one per reader
    user = escalation.raised_by
    Notification.objects.bulk_create(
        Notification(key=f"k{i}", user=user, channel=channel, subject="s", body="b")
        for i, channel in enumerate(["email", "sms", "push"] * 20)
    )
    scheduling.beat()
    assert _scrape_queries(client) == small


# --- Request timings ------------------------------------------------------------------------


def test_request_timings_are_labelled_by_url_name_never_by_path(
    client, metrics_on, client_for, personas
):
    before = scrape(client)
    key = {"view": "accounts:employee_edit", "method": "GET", "status": "2xx"}
    count = before.get(("peersupport_request_duration_seconds_count", tuple(sorted(key.items()))))
    sysadmin = client_for("sysadmin")
    assert sysadmin.get(reverse("web:home")).status_code == 200
    url = reverse("accounts:employee_edit", args=[personas["employee"].employee.pk])
    assert sysadmin.get(url).status_code == 200
    client.get("/no-such-page/12345/secret-token")
    client.generic("BREW", "/")
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    page = response.content.decode()
    assert "12345" not in page and "secret-token" not in page and "BREW" not in page
    assert url not in page
    after = scrape(client)
    home = {"view": "web:home", "method": "GET", "status": "2xx"}
    assert value(after, "request_duration_seconds_count", **home) >= 1
    unmatched = {"view": "(unmatched)", "method": "GET", "status": "4xx"}
    assert value(after, "request_duration_seconds_count", **unmatched) >= 1
    made_up = [k for k in after if k[0].endswith("_count") and ("method", "other") in k[1]]
    assert made_up
    assert value(after, "request_duration_seconds_count", **key) == (count or 0) + 1


# --- Nothing that names anyone ----------------------------------------------------------------


def test_nothing_in_a_scrape_names_a_person_or_points_at_a_record(
    client, metrics_on, escalation, personas, client_for
):
    """A canary: with a request, an escalation, their alerts and a page visited, no name,
    e-mail, phone, note, id or path is in the output, and the only labels are the fixed ones."""
    person = UserFactory(
        email="zebulon.canarywitz@pd.example.org", display_name="Zebulon Canarywitz"
    )
    Notification.objects.create(
        key="canary", user=person, channel="sms", address="555 0199 4242", subject="s", body="b"
    )
    client_for("supporter").get(reverse("confidentiality:escalation", args=[escalation.public_id]))
    page = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    secrets = [NAME, "Canaryperson", PHONE, NOTE, "Canarywitz", "555 0199 4242"]
    secrets += [str(escalation.public_id), str(escalation.public_id)[:8], escalation.category.code]
    secrets += [user.email for user in [*personas.values(), person]]
    secrets += [f"/{escalation.request.pk}/", "pd.example"]
    for secret in secrets:
        assert secret.lower() not in page.lower(), secret
    labels = set()
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            labels |= set(sample.labels)
    assert labels <= {"channel", "view", "method", "status", "le"}


# --- Several processes ----------------------------------------------------------------------

RECORDER = """
import os, sys
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "peersupport.settings"
import django
django.setup()
from peersupport.web.metrics import LATENCY
LATENCY.labels("web:home", "GET", "2xx").observe(0.02)
"""


def test_timings_from_several_processes_are_summed(tmp_path, monkeypatch, metrics_on):
    """Two processes (as two gunicorn workers) each record a request into the shared folder;
    a scrape answered by either sees both."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PEERSUPPORT_ENV": "test"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", RECORDER.format(root=str(ROOT))], env=env, check=True)
    assert len(list(tmp_path.glob("histogram_*.db"))) == 2
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(tmp_path))
    labels = {"view": "web:home", "method": "GET", "status": "2xx"}
    assert registry.get_sample_value("peersupport_request_duration_seconds_count", labels) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    from peersupport.web.metrics import exposition

    assert (
        'peersupport_request_duration_seconds_count{method="GET",status="2xx",view="web:home"} 2.0'
        in (exposition().decode())
    )


def test_gunicorn_empties_the_folder_at_start(tmp_path, monkeypatch, metrics_on):
    stale = tmp_path / "histogram_999999.db"
    stale.write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gunicorn_conf.on_starting(server=None)
    assert tmp_path.is_dir() and not list(tmp_path.iterdir())


def test_gunicorn_leaves_the_folder_alone_when_metrics_are_off(tmp_path, monkeypatch, settings):
    settings.METRICS_ENABLED = False
    kept = tmp_path / "histogram_1.db"
    kept.write_bytes(b"x")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gunicorn_conf.on_starting(server=None)
    assert kept.exists()


# --- Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"METRICS_TOKEN": "too-short"}, "METRICS_TOKEN"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,not-a-network"}, "METRICS_ALLOWED_NETWORKS"),
    ],
)
def test_bad_metrics_settings_fail_loudly(env, named, tmp_path):
    from ..system.test_platform import GOOD_PROD, _run_settings

    result = _run_settings({**GOOD_PROD, "PEERSUPPORT_VAR_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert named in result.stderr


def test_the_token_may_come_from_a_file_and_turns_on_the_shared_folder(tmp_path):
    secret = tmp_path / "metrics-token"
    secret.write_text(TOKEN + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "METRICS_TOKEN")}
    env.update(
        DJANGO_SETTINGS_MODULE="peersupport.settings",
        PEERSUPPORT_ENV="development",
        PEERSUPPORT_VAR_DIR=str(tmp_path),
        METRICS_TOKEN_FILE=str(secret),
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    script = (
        "import os, django; django.setup(); from django.conf import settings; "
        f"print(settings.METRICS_TOKEN == {TOKEN!r}, settings.METRICS_ENABLED, "
        "os.environ['PROMETHEUS_MULTIPROC_DIR'])"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", str(tmp_path / "metrics")], result.stderr
    assert (tmp_path / "metrics").stat().st_mode & 0o777 == 0o700


def test_every_metric_the_operations_guide_names_is_reported(client, metrics_on, client_for):
    """The alerting rules and the table in docs/operations.md ("Monitoring") name only metrics
    a scrape has, so a rename cannot leave a department's alerts silently watching nothing."""
    import re

    guide = (ROOT / "docs" / "operations.md").read_text()
    section = guide[guide.index("## Monitoring") : guide.index("## The demo department")]
    named = set(re.findall(r"peersupport_[a-z_]+[a-z]", section))
    named = {re.sub(r"_(bucket|count|sum)$", "", name) for name in named}
    client_for("employee").get(reverse("web:home"))
    reported = {re.sub(r"_(bucket|count|sum)$", "", name) for name, _ in scrape(client)}
    assert named, "no metric named in the guide"
    assert named <= reported, named - reported
