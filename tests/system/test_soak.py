"""The short crash soak (bench/soak.py, `make soak` runs the long one): support requests,
contacts, escalations, committee ballots and training attendance are written over HTTP while
the web server and the worker are killed with SIGKILL three times; nothing acknowledged is
lost or stored twice, the database and the audit chain are intact, every escalation alert and
every offer's alert to its supporter is delivered. On the suite's engine: a SQLite file, or a
fresh PostgreSQL database, where it runs as a deployment for scale does: two web servers and
two workers side by side, each request sent to either server."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_soak_loses_nothing():
    env = dict(os.environ)
    outer = env.pop("DATABASE_URL", "")
    engine = "postgresql" if outer.startswith("postgres") else "sqlite"
    if engine == "postgresql":
        env["BENCH_DATABASE_URL"] = outer
    done = subprocess.run(
        [
            sys.executable,
            "bench/soak.py",
            "--kills",
            "3",
            "--clients",
            "2",
            "--engine",
            engine,
            "--servers",
            "2" if engine == "postgresql" else "1",
            "--no-write",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("[{")]
    assert lines, done.stdout[-2000:] + done.stderr[-3000:]
    (result,) = json.loads(lines[-1])
    assert result["ok"], result
    assert result["kills"] == 3
    assert result["servers"] == (2 if engine == "postgresql" else 1)
    assert (
        result["requests_acked"] > 0 and result["contacts_acked"] + result["escalations_acked"] > 0
    )
    # Every acknowledged request was offered, and each offer's e-mail reached the SMTP server.
    assert result["offers"] >= result["requests_acked"], result
    assert result["offer_alerts_not_received"] == 0, result
    # Ballots and training attendance are in the mix too (one write in six each).
    assert result["votes_acked"] > 0 and result["records_acked"] > 0, result
    assert result["client_errors"] == 0, result["error_kinds"]
