import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sso_origin_is_an_allowed_form_target():
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(' '.join(settings.SECURE_CSP['form-action']))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "PEERSUPPORT_ENV": "test",
        "OIDC_SERVER_URL": "https://login.example.org/realms/pd",
        "OIDC_CLIENT_ID": "peersupport",
        "OIDC_CLIENT_SECRET": "s3cret",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["'self'", "https://login.example.org"]
