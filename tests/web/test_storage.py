"""The static files' storage (peersupport/web/storage.py): the same addresses as WhiteNoise's
manifest storage, each worked out once."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from peersupport.web.storage import StaticFilesStorage


@pytest.fixture
def manifest(tmp_path):
    paths = {"css/site.css": "css/site.0123abcd.css", "img/a b.svg": "img/a b.4567ef.svg"}
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"paths": paths, "version": "1.1", "hash": "x"})
    )
    return tmp_path


def test_static_addresses_are_whitenoises_and_kept(manifest):
    ours = StaticFilesStorage(location=manifest, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=manifest, base_url="/static/")
    for name in ("css/site.css", "img/a b.svg", "css/site.css"):
        assert ours.url(name) == theirs.url(name)
    assert ours.url("css/site.css") == "/static/css/site.0123abcd.css"
    assert ours._urls == {
        "css/site.css": "/static/css/site.0123abcd.css",
        "img/a b.svg": theirs.url("img/a b.svg"),
    }


def test_a_file_missing_from_the_manifest_still_fails_every_time(manifest):
    storage = StaticFilesStorage(location=manifest, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
    assert "css/missing.css" not in storage._urls
