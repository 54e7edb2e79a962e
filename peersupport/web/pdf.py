"""PDFs from the same templates as the pages, through WeasyPrint.

The PDF is built on the server from a template and the project's own print stylesheet; WeasyPrint
may read only files under the static folders (never the network), so a PDF looks the same on an
air-gapped server. The response is never cached by the browser and is named by the caller.

Laying out a PDF costs a hundred times a page (WeasyPrint), and the same document is often asked
for again (a transcript, the notice, a report's period). Each web process keeps the last
``KEPT`` PDFs it made, in memory only, keyed by a digest of the HTML they were made from: the
same HTML gives the same bytes without a second layout, and any change to what the PDF shows
(the data, the template, the stylesheet) is another key. Nothing is written anywhere: a copy of
the database or its cache table holds no PDF.
"""

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string

PRINT_CSS = "css/print.css"


def _local_only_fetcher():
    """A fetcher that serves static files from disk and data: URLs (an image embedded in the
    page, such as a signature) and refuses everything else: no network from a PDF."""
    from weasyprint import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            prefix = "file://"
            if url.startswith(prefix):
                path = Path(url.removeprefix(prefix)).resolve()
                roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]
                if settings.STATIC_ROOT:
                    roots.append(Path(settings.STATIC_ROOT).resolve())
                if any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
            raise ValueError(f"a PDF may not load {url[:80]!r}")

    return LocalOnlyFetcher(allowed_protocols=["file", "data"])


KEPT = 32
KEPT_BYTES = 32 * 1024 * 1024  # at most this much memory per process
_kept: OrderedDict[bytes, bytes] = OrderedDict()
_kept_lock = threading.Lock()


def _stylesheet_key(path: str) -> bytes:
    stat = Path(path).stat()
    return f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode()


def pdf_bytes(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    css_path = finders.find(PRINT_CSS)
    key = hashlib.sha256(_stylesheet_key(css_path) + b"\0" + html.encode()).digest()
    with _kept_lock:
        if (kept := _kept.get(key)) is not None:
            _kept.move_to_end(key)
            return kept
    fetcher = _local_only_fetcher()
    stylesheet = CSS(filename=css_path, url_fetcher=fetcher)
    data = HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
    with _kept_lock:
        _kept[key] = data
        while len(_kept) > KEPT or sum(map(len, _kept.values())) > KEPT_BYTES:
            _kept.popitem(last=False)
    return data


def pdf_file_response(data: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def pdf_response(template: str, context: dict, *, filename: str) -> HttpResponse:
    return pdf_file_response(pdf_bytes(template, context), filename=filename)
