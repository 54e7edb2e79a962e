"""Real servers on 127.0.0.1 for delivery tests and benchmarks: an SMTP server (aiosmtpd) and an
HTTP server standing in for the SMS gateway. Both record what arrived and when."""

import asyncio
import email
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    at: float  # time.time() when the server had it
    message: email.message.Message


@dataclass
class SMTPRecorder:
    """Keeps every message. With ``hold`` set, DATA waits until it is cleared: a delivery can
    be caught half-way, with the client connected and the message not yet accepted."""

    messages: list[Received] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    data_started: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.data_started.set()
        while self.hold.is_set():
            await asyncio.sleep(0.05)
        self.messages.append(
            Received(at=time.time(), message=email.message_from_bytes(envelope.content))
        )
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.messages]


class SMTPServer:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.recorder = SMTPRecorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.recorder.hold.clear()
        self.controller.stop()

    @property
    def mailers(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }

    @property
    def email_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class WebhookServer:
    """Answers 500 to the first ``fail_first`` requests, then 200; records the rest."""

    def __init__(self, *, fail_first: int = 0):
        self.requests: list[dict] = []
        self.refused = 0
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.refused < outer.fail_first:
                    outer.refused += 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.requests.append(
                    {
                        "at": time.time(),
                        "body": body,
                        "json": json.loads(body),
                        "headers": dict(self.headers),
                    }
                )
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class PushServer:
    """A push service on 127.0.0.1 (RFC 8030): takes a push for ``/push/<anything>`` and keeps
    the request as it came (headers, the encrypted body). ``answers`` are the statuses to give,
    one per request in turn (then 201, "Created", as push services answer)."""

    def __init__(self, *, answers: list[int] | None = None):
        self.requests: list[dict] = []
        self.answers = list(answers or [])
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = outer.answers.pop(0) if outer.answers else 201
                outer.requests.append(
                    {
                        "at": time.time(),
                        "path": self.path,
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "answered": status,
                    }
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
