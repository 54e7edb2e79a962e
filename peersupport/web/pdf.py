"""PDFs from the same templates as the pages, through WeasyPrint.

The PDF is built on the server from a template and the project's own print stylesheet; WeasyPrint
may read only files under the static folders (never the network), so a PDF looks the same on an
air-gapped server. The response is never cached and is named by the caller.
"""

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


def pdf_bytes(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    fetcher = _local_only_fetcher()
    stylesheet = CSS(filename=finders.find(PRINT_CSS), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])


def pdf_file_response(data: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def pdf_response(template: str, context: dict, *, filename: str) -> HttpResponse:
    return pdf_file_response(pdf_bytes(template, context), filename=filename)
