import pytest


@pytest.fixture(autouse=True)
def checkpoint_file(settings, tmp_path):
    """Every audit test checkpoints to a file of its own (never var/)."""
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "var" / "audit-checkpoints.log")
    settings.AUDIT_CHECKPOINT_EMAIL = []
    settings.AUDIT_CHECKPOINT_WEBHOOK_URL = ""
    return tmp_path / "var" / "audit-checkpoints.log"
