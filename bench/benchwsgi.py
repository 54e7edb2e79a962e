"""The production WSGI application, plus one URL for the benchmark's baseline.

`bench/pages.py` runs gunicorn on ``benchwsgi:application`` instead of
``peersupport.wsgi:application`` so that the minimal view it compares every page with is served
by the same server, workers and Python process as the pages. ``/__bench_hello__`` is answered
here with a plain ``HttpResponse``, before any middleware or URL resolution; every other path
goes to the real application unchanged. The product itself never has this URL.
"""

from django.http import HttpResponse

from peersupport.wsgi import application as django_application

HELLO_PATH = "/__bench_hello__"


def application(environ, start_response):
    if environ.get("PATH_INFO") == HELLO_PATH:
        response = HttpResponse(b"hello", content_type="text/plain")
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]
    return django_application(environ, start_response)
