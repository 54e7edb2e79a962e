"""The set-up finds a suitable Python by itself, and says what to install when there is none."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIND = ROOT / "scripts" / "find-python"


def test_finds_a_python_of_at_least_3_12():
    result = subprocess.run([str(FIND)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    python = result.stdout.strip()
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2] >= (3, 12))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.stdout.strip() == "True"


def test_explains_what_to_install_when_none_is_found(tmp_path):
    # A PATH whose only python3 is too old, and no pyenv.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = bin_dir / "python3"
    old.write_text("#!/bin/sh\nexit 1\n")  # fails the version check like a 3.11 would
    old.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    result = subprocess.run(
        ["/bin/bash", str(FIND)], capture_output=True, text=True, env=env, timeout=60
    )
    if result.returncode == 0:
        # This machine has a system-wide Python 3.12+ in /usr/bin: then that is the right answer.
        assert result.stdout.startswith("/usr/bin/")
        return
    assert result.returncode == 1
    assert "needs Python 3.12 or newer" in result.stderr
    assert "apt-get install python3.12" in result.stderr
    assert "PYTHON=" in result.stderr


def test_python_variable_wins(tmp_path):
    result = subprocess.run([str(FIND)], capture_output=True, text=True, timeout=60)
    chosen = result.stdout.strip()
    again = subprocess.run(
        [str(FIND)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHON": chosen, "HOME": str(tmp_path)},
    )
    assert again.stdout.strip() == chosen
