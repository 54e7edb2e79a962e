"""Where the static files are served from: WhiteNoise's compressed, hashed files, each file's
address worked out once per process.

Every page names half a dozen static files (styles, scripts, icons); looking each up in the
manifest and joining it to STATIC_URL on every request was a twentieth of a signed-in page
(issue 21). The manifest is read at start-up and never changes while the process runs, so the
address of a name never changes either.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Template names only ({% static "css/site.css" %}): a bound on what is kept in any case.
_MAX_KEPT = 1000


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = super().url(name)  # a name missing from the manifest raises, and is not kept
            if len(self._urls) < _MAX_KEPT:
                self._urls[name] = url
            return url
