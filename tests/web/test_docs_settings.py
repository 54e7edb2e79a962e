"""Every variable settings.py reads from the environment is in the README's settings tables, so
a department learns of each from one place."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Read only to refuse it at start-up with the reason (settings.py).
REFUSED = {"SOCIALACCOUNT_ONLY"}
READ = re.compile(
    r'(?:env_(?:int|bool|list|str)|env\.(?:str|int|bool|list)|value)\(\s*"([A-Z0-9_]+)"'
)


def test_every_setting_read_from_the_environment_is_in_the_readme():
    read = set(READ.findall((ROOT / "peersupport" / "settings.py").read_text())) - REFUSED
    readme = (ROOT / "README.md").read_text()
    assert len(read) > 100
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert not missing, f"add {missing} to the README's settings tables"
