"""A PDF made again from the same HTML is the one already made; other HTML is laid out anew
(peersupport/web/pdf.py)."""

from peersupport.web import pdf


def _template(monkeypatch) -> None:
    """A template of one paragraph, rendered by hand."""
    monkeypatch.setattr(pdf, "render_to_string", lambda name, context: f"<p>{context['words']}</p>")


def _layouts(monkeypatch) -> list[str]:
    from weasyprint import HTML

    made = []
    original = HTML.write_pdf

    def counting(self, *args, **kwargs):
        made.append("pdf")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "write_pdf", counting)
    return made


def test_the_same_html_is_laid_out_once(monkeypatch):
    made = _layouts(monkeypatch)
    _template(monkeypatch)
    first = pdf.pdf_bytes("doc.html", {"words": "same"})
    second = pdf.pdf_bytes("doc.html", {"words": "same"})
    assert first == second and first.startswith(b"%PDF")
    assert made == ["pdf"]


def test_other_html_is_another_pdf(monkeypatch):
    made = _layouts(monkeypatch)
    _template(monkeypatch)
    a = pdf.pdf_bytes("doc.html", {"words": "one"})
    b = pdf.pdf_bytes("doc.html", {"words": "two"})
    assert a != b
    assert len(made) == 2


def test_memory_is_bounded(monkeypatch):
    _template(monkeypatch)
    monkeypatch.setattr(pdf, "KEPT", 3)
    for i in range(5):
        pdf.pdf_bytes("doc.html", {"words": str(i)})
    assert len(pdf._kept) == 3
