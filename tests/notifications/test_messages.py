"""Every notification's words are a template under ``templates/messages/<topic>/<name>.txt``
(peersupport/notifications/messages.py).

What this checks:

- ``render_message`` splits subject from body, escapes nothing, and refuses a template with no
  subject line;
- every message template parses and renders a one-line subject followed by a blank line, even
  from an empty context; the call sites' own contexts render word for word what the code wrote
  before the words moved into templates;
- no production module writes a message's words in Python: a ``subject=`` or ``body=`` given
  to ``notify``, ``notification_queue``, ``notify_message`` (or to a module's own helper that
  forwards them) as a string, an f-string or a concatenation fails;
- every template a call site names exists, and every template has a call site;
- alerts are content-free: a template reads only flat values its call site chose (no
  ``{{ request.name }}``), never a variable named like protected content.
"""

import ast
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.urls import reverse
from django.utils import timezone

from peersupport.notifications import messages
from peersupport.notifications.messages import render_message, site_link

REPO = Path(__file__).resolve().parent.parent.parent
PRODUCT = REPO / "peersupport"
TEMPLATES = REPO / "templates" / "messages"
# The two modules that build the outbox rows from a subject and a body they are given.
MESSENGER_MODULES = {
    PRODUCT / "notifications" / "messages.py",
    PRODUCT / "notifications" / "services.py",
}
MESSENGERS = {"notify", "notification_queue", "notify_message"}
LINK = "https://ps.example/somewhere/"


def _template_names() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES).with_suffix("")) for p in TEMPLATES.rglob("*.txt"))


# --- render_message ---------------------------------------------------------------------------


@pytest.fixture
def message_dir(tmp_path, settings):
    """A templates folder of our own in front of the project's, for templates made up here."""
    (tmp_path / "messages" / "test").mkdir(parents=True)
    first = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**first, "DIRS": [tmp_path, *first["DIRS"]]}, *settings.TEMPLATES[1:]]
    messages._engine.cache_clear()
    yield tmp_path / "messages" / "test"
    messages._engine.cache_clear()


def test_render_message_splits_subject_and_body(message_dir):
    source = "Hello {{ who }}\n\nFirst line.\n\nSecond: {{ link }}\n\n"
    (message_dir / "split.txt").write_text(source)
    subject, body = render_message("test/split", who="there", link=LINK)
    assert subject == "Hello there"
    assert body == f"First line.\n\nSecond: {LINK}"


def test_render_message_escapes_nothing(message_dir):
    (message_dir / "plain.txt").write_text("{{ a }} & co\n\n<b>{{ b }}</b> & {{ c }}\n")
    subject, body = render_message("test/plain", a="R&D <1>", b="x > y", c="'quoted' \"too\"")
    assert subject == "R&D <1> & co"
    assert body == "<b>x > y</b> & 'quoted' \"too\""
    assert "&amp;" not in subject + body and "&lt;" not in subject + body


def test_render_message_refuses_a_template_without_a_subject(message_dir):
    (message_dir / "nosubject.txt").write_text("\nOnly a body.\n")
    (message_dir / "emptysubject.txt").write_text("{{ missing }}\n\nA body.\n")
    with pytest.raises(ValueError, match=r"messages/test/nosubject\.txt has no subject"):
        render_message("test/nosubject")
    with pytest.raises(ValueError, match=r"messages/test/emptysubject\.txt has no subject"):
        render_message("test/emptysubject")


def test_render_message_names_a_missing_template():
    with pytest.raises(Exception, match="messages/nowhere/nothing.txt"):
        render_message("nowhere/nothing")


def test_site_link_is_absolute(settings):
    settings.SITE_URL = "https://ps.example/"
    assert site_link("support:inbox") == f"https://ps.example{reverse('support:inbox')}"
    assert site_link("training:session", session_id=7) == (
        f"https://ps.example{reverse('training:session', kwargs={'session_id': 7})}"
    )


# --- Every template ---------------------------------------------------------------------------


def test_there_are_message_templates():
    assert len(_template_names()) >= 17


@pytest.mark.parametrize("name", _template_names())
def test_every_template_has_a_subject_line_then_a_blank_line(name):
    source = (TEMPLATES / f"{name}.txt").read_text()
    lines = source.split("\n")
    assert lines[0].strip(), f"{name}: the first line is the subject"
    assert len(lines) > 2 and lines[1] == "", f"{name}: a blank line follows the subject"
    assert lines[2].strip(), f"{name}: the body starts right after the blank line"
    try:
        subject, body = render_message(name)  # an empty context: every variable is ""
    except TemplateSyntaxError as exc:  # pragma: no cover (the message says which)
        pytest.fail(f"{name} does not parse: {exc}")
    assert subject and "\n" not in subject
    assert body


# The call sites' contexts and what the code wrote before its words moved into templates.
def _when_cases():
    chicago = ZoneInfo("America/Chicago")
    return [
        datetime(2026, 3, 2, 9, 5, tzinfo=chicago),
        datetime(2026, 11, 30, 18, 45, tzinfo=chicago),
        datetime(2026, 7, 1, 3, 30, tzinfo=ZoneInfo("UTC")),  # the day before, in Chicago
    ]


GOLDEN = [
    (
        "training/session_moved",
        {"course": "Quarterly update", "when": "Monday 2 March 2026", "place": "Room 4 & 5"},
        "Quarterly update: new dates",
        f"Quarterly update is now Monday 2 March 2026, at Room 4 & 5.\n\n{LINK}",
    ),
    (
        "training/session_cancelled",
        {"course": "Quarterly update & more", "when": "2 March to 4 March 2026"},
        "Cancelled: Quarterly update & more",
        "Quarterly update & more (2 March to 4 March 2026) is cancelled. The reason is on the "
        f"session's page.\n\nOther sessions: {LINK}",
    ),
    (
        "training/enrolled",
        {"waitlisted": False, "course": "Initial", "when": "Monday 2 March 2026", "place": "HQ"},
        "Training: Initial",
        f"The coordinator gave you a place on Initial, Monday 2 March 2026, at HQ.\n\n{LINK}",
    ),
    (
        "training/enrolled",
        {"waitlisted": True, "course": "Initial", "when": "Monday 2 March 2026", "place": "HQ"},
        "Training: Initial",
        "The coordinator gave you a place on the waiting list of Initial, Monday 2 March 2026, "
        f"at HQ.\n\n{LINK}",
    ),
    (
        "training/promoted",
        {"course": "Initial", "when": "Monday 2 March 2026", "place": "HQ"},
        "You have a place: Initial",
        f"A place came free on Initial, Monday 2 March 2026, at HQ: it is yours.\n\n{LINK}",
    ),
    (
        "training/out_of_compliance",
        {"year": 2026, "behind": "2.5"},
        "Training: out of compliance",
        "Your update training for 2026 is 2.5 hours short, which puts you out of compliance. "
        f"The coordinator has been told.\n\n{LINK}",
    ),
    (
        "training/out_of_compliance_coordinator",
        {"n": 2, "year": 2026},
        "Training: a supporter is out of compliance for 2026",
        "2 supporters are now out of training compliance for 2026. The compliance board lists "
        f"them.\n\n{LINK}",
    ),
    (
        "outreach/assigned",
        {},
        "You are asked to reach out to someone",
        "The peer support coordinator asks you to reach out to someone after a hard event. "
        f"Sign in to see who and to accept: {LINK}",
    ),
    (
        "outreach/declined",
        {},
        "An outreach assignment was declined",
        f"A supporter could not take an outreach assignment; please assign someone else: {LINK}",
    ),
    (
        "confidentiality/escalation_waiting",
        {"reminder": False},
        "A confidentiality escalation is waiting",
        "A peer supporter has raised a confidentiality question that needs you. Sign in to see "
        f"and acknowledge it: {LINK}",
    ),
    (
        "confidentiality/escalation_waiting",
        {"reminder": True},
        "A confidentiality escalation is waiting (reminder: not yet acknowledged)",
        "A peer supporter has raised a confidentiality question that needs you. Sign in to see "
        f"and acknowledge it: {LINK}",
    ),
    (
        "confidentiality/escalation_acknowledged",
        {},
        "Your escalation was acknowledged",
        f"The confidentiality question you raised has been acknowledged: {LINK}",
    ),
    (
        "roster/status_changed",
        {"status": "Inactive"},
        "Your peer supporter status: Inactive",
        "Your status in the Peer Support Program is now Inactive. The program coordinator can "
        "tell you why.",
    ),
    (
        "roster/inactive_ended",
        {},
        "You are an active peer supporter again",
        "Your inactive period has ended. Set your availability when you are ready to be offered "
        f"requests: {LINK}",
    ),
    (
        "support/followups_due",
        {"n": 1},
        "A follow-up is due",
        f"You have 1 follow-up due in Peer Support.\n\nSee your inbox: {LINK}",
    ),
    (
        "support/followups_due",
        {"n": 2},
        "A follow-up is due",
        f"You have 2 follow-ups due in Peer Support.\n\nSee your inbox: {LINK}",
    ),
    (
        "support/requests_waiting",
        {"n": 1, "minutes": 61},
        "1 request waiting",
        "1 support request has not been accepted; the longest has waited 61 minutes.\n\n"
        f"See the support overview: {LINK}",
    ),
    (
        "support/requests_waiting",
        {"n": 3, "minutes": 12345},
        "3 requests waiting",
        "3 support requests have not been accepted; the longest has waited 12345 minutes.\n\n"
        f"See the support overview: {LINK}",
    ),
]


@pytest.mark.parametrize(("name", "context", "subject", "body"), GOLDEN)
def test_call_site_contexts_render_the_words_the_code_wrote(name, context, subject, body):
    assert render_message(name, link=LINK, **context) == (subject, body)


@pytest.mark.parametrize("moment", _when_cases())
def test_dates_render_as_the_code_formatted_them(moment):
    """The ``date`` filter gives what ``strftime`` gave, in local time."""
    local = timezone.localtime(moment)
    _, body = render_message(
        "training/session_soon", course="Initial", starts_at=local, place="HQ", link=LINK
    )
    assert body == f"Initial starts {local:%A %-d %B at %H:%M}, at HQ.\n\n{LINK}"
    _, body = render_message("outreach/followup_due", due_at=local, link=LINK)
    assert body == (
        f"An outreach follow-up is due by {local:%d %b %H:%M}. See your outreach page: {LINK}"
    )
    # Given the aware moment itself, the filter converts to local time just the same.
    assert render_message("outreach/followup_due", due_at=moment, link=LINK)[1] == body
    end = local.date()
    subject, body = render_message(
        "training/quarter_warning",
        quarter=1,
        hours="1",
        required="4",
        quarter_end=end,
        forecast="Needs the Q1 update to stay compliant: 3 more hours by 31 March 2026.",
        link=LINK,
    )
    assert subject == "Training: the Q1 update is still to do"
    assert body == (
        f"You have 1 of the 4 update hours of Q1, which ends on {end:%-d %B}. Needs the Q1 "
        f"update to stay compliant: 3 more hours by 31 March 2026.\n\nSessions: {LINK}"
    )


def test_golden_names_are_templates():
    assert {name for name, *_ in GOLDEN} <= set(_template_names())


# --- No words in Python -----------------------------------------------------------------------


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _wordy(node: ast.AST | None) -> bool:
    """Is this expression message words written in Python?"""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):  # "a" + b, "a %s" % b
        return _wordy(node.left) or _wordy(node.right)
    if isinstance(node, ast.IfExp):
        return _wordy(node.body) or _wordy(node.orelse)
    if isinstance(node, ast.Subscript):  # {"yes": "...", "no": "..."}[decision]
        return _wordy(node.value)
    if isinstance(node, ast.Dict):
        return any(_wordy(v) for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_wordy(v) for v in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"format", "join"} and _wordy(node.func.value)
    return False


def _forwarders(tree: ast.Module) -> set[str]:
    """A module's own functions that take a ``subject`` or ``body`` and hand it to a messenger."""
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = {a.arg for a in [*node.args.args, *node.args.kwonlyargs]}
        if not params & {"subject", "body"}:
            continue
        if any(isinstance(n, ast.Call) and _call_name(n) in MESSENGERS for n in ast.walk(node)):
            found.add(node.name)
    return found


def words_in_python(source: str, where: str = "<source>") -> list[str]:
    tree = ast.parse(source)
    names = MESSENGERS | _forwarders(tree)
    wrong = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _call_name(node) not in names:
            continue
        for keyword in node.keywords:
            if keyword.arg in {"subject", "body"} and _wordy(keyword.value):
                wrong.append(
                    f"{where}:{keyword.value.lineno} {_call_name(node)}({keyword.arg}=...) "
                    "writes words in Python"
                )
    return wrong


def _product_modules():
    for path in sorted(PRODUCT.rglob("*.py")):
        if "migrations" in path.relative_to(PRODUCT).parts or path in MESSENGER_MODULES:
            continue
        yield path


def test_the_reader_finds_words_in_python():
    source = (
        "def _tell(users, *, key, subject, body):\n"
        "    for u in users:\n"
        "        notify(key=key, user=u, subject=subject, body=f'{body}\\n\\nlink')\n"
        "def f(n, x):\n"
        "    notify(key='k', user=x, subject='Hello', body=message_body)\n"
        "    services.notification_queue(key='k', subject='A' + x, body=b)\n"
        "    notify_message(key='k', user=x, message='t/n', body='sneaked in')\n"
        "    _tell([x], key='k', subject='Forwarded', body=('one ' 'two'))\n"
        "    notify(key='k', user=x, subject=s, body={'y': 'Yes', 'n': 'No'}[n])\n"
        "    notify(key='k', user=x, subject='{} waiting'.format(n), body=b)\n"
        "    notify(key='k', user=x, subject=subject, body=body)\n"  # words from a template
        "    Message.objects.create(body='not a notification')\n"
    )
    found = words_in_python(source)
    lines = sorted(int(w.split(":")[1].split()[0]) for w in found)
    assert lines == [3, 5, 6, 7, 8, 8, 9, 10], found


def test_message_words_live_in_templates():
    """Fails while a module still writes a subject or a body in Python, listing where."""
    wrong = []
    for path in _product_modules():
        wrong += words_in_python(path.read_text(), str(path.relative_to(REPO)))
    assert not wrong, "message words belong in templates/messages/:\n" + "\n".join(wrong)


def _wrappers() -> dict[str, set[str]]:
    """Functions that pass their own ``message`` parameter on to ``notify_message`` (the
    selection app's ``tell``), with the context keywords they add themselves."""
    found: dict[str, set[str]] = {}
    for path in _product_modules():
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and _call_name(node) == "notify_message":
                    value = next((k.value for k in node.keywords if k.arg == "message"), None)
                    if isinstance(value, ast.Name) and value.id in params:
                        added = {k.arg for k in node.keywords if k.arg not in NOT_CONTEXT}
                        found[fn.name] = added - {None}
    return found


def _message_of(node: ast.Call, wrappers: dict[str, set[str]]):
    """The template a call names (an AST node), or None when the call names none."""
    name = _call_name(node)
    if name == "render_message" and node.args:
        return node.args[0]
    if name == "notify_message" or name in wrappers:
        return next((k.value for k in node.keywords if k.arg == "message"), None)
    return None


def _named_templates() -> dict[str, list[str]]:
    """Template name -> where a call site names it (``notify_message(message=...)``,
    ``render_message("...")``, or a wrapper of ``notify_message`` given ``message=...``)."""
    named: dict[str, list[str]] = {}
    wrappers = _wrappers()
    for path in _product_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            value = _message_of(node, wrappers)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                named.setdefault(value.value, []).append(where)
    return named


def test_every_named_template_exists_and_every_template_is_used():
    named = _named_templates()
    templates = set(_template_names())
    missing = {name: where for name, where in named.items() if name not in templates}
    assert not missing, f"call sites name templates that do not exist: {missing}"
    unused = templates - named.keys()
    assert not unused, f"templates no call site names: {sorted(unused)}"


NOT_CONTEXT = {"key", "user", "message", "topic", "phone"}


def test_call_sites_give_exactly_what_their_template_reads():
    """A misspelt or forgotten value would render as nothing, silently: each call site's
    context is the set of variables its template reads, no more, no less."""
    wrong = []
    wrappers = _wrappers()
    for path in _product_modules():
        tree = ast.parse(path.read_text())
        passed_on = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef) and fn.name in wrappers
            for node in ast.walk(fn)
            if isinstance(node, ast.Call) and _call_name(node) == "notify_message"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in passed_on:
                continue
            value = _message_of(node, wrappers)
            if value is None and _call_name(node) not in ("render_message", "notify_message"):
                continue
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno} names no template")
                continue
            template = TEMPLATES / f"{value.value}.txt"
            if not template.exists():
                continue  # reported by the test above
            given = {k.arg for k in node.keywords if k.arg not in NOT_CONTEXT}
            given |= wrappers.get(_call_name(node), set())
            if None in given:  # **context: cannot tell here
                continue
            read = {v.split(".")[0] for v in template_variables(template.read_text())}
            if given != read:
                wrong.append(
                    f"{path.relative_to(REPO)}:{node.lineno} {value.value}: gives "
                    f"{sorted(given - read)} unread, misses {sorted(read - given)}"
                )
    assert not wrong, "\n".join(wrong)


# --- Content-free ---------------------------------------------------------------------------

# Variable names (or parts of them) that would carry who asked, about what, or what was said.
FORBIDDEN = re.compile(
    r"(^|_)(name|names|codename|body|text|message|messages|note|notes|description|summary|"
    r"details|phone|email|address|answer|comment|reason|requester|person|story|candidate|"
    r"supporter|nominee|user)($|_)"
)
# Reviewed exceptions (a template that must read such a variable, and why). Empty since the
# notification work: no alert names anyone or carries anyone's free text. Each entry must still
# occur (so it is removed once changed) and none may be added without the same review.
KNOWN: dict[tuple[str, str], str] = {}
KEYWORDS = {"and", "or", "not", "in", "is", "if", "None", "True", "False", "as", "with"}


def template_variables(source: str) -> set[str]:
    """Every variable a template reads, as written (``a``, ``a.b``), in ``{{ }}`` and in tags,
    filter arguments included; string literals and filter names are not variables."""
    found = set()
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        content = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", " ", token.contents)
        if token.token_type == TokenType.BLOCK:
            content = content.split(None, 1)[1] if " " in content.strip() else ""
        for part in re.split(r"\s+", content):
            pieces = part.split("|")
            candidates = [pieces[0]] + [p.split(":", 1)[1] for p in pieces[1:] if ":" in p]
            for candidate in candidates:
                for word in re.findall(r"[A-Za-z_][\w.]*", candidate):
                    if word not in KEYWORDS:
                        found.add(word)
    return found


def test_the_variable_reader_sees_tags_and_filters():
    source = (
        'A {{ request.name|default:"x" }} {% if codename and not n %}{{ n|pluralize:"a,b" }}'
        "{% endif %}\n\n{{ body|default:fallback_text }} {# {{ hidden }} #}"
    )
    assert template_variables(source) == {"request.name", "codename", "n", "body", "fallback_text"}


@pytest.mark.parametrize("name", _template_names())
def test_templates_read_flat_values_and_nothing_protected(name):
    variables = template_variables((TEMPLATES / f"{name}.txt").read_text())
    dotted = sorted(v for v in variables if "." in v)
    assert not dotted, f"{name}: pass the values the message needs, not objects: {dotted}"
    protected = sorted(
        v for v in variables if FORBIDDEN.search(v.lower()) and (name, v) not in KNOWN
    )
    assert not protected, f"{name} reads what may be protected content: {protected}"


def test_known_exceptions_are_still_there():
    for (name, variable), _why in KNOWN.items():
        path = TEMPLATES / f"{name}.txt"
        assert path.exists() and variable in template_variables(path.read_text()), (
            f"{name} no longer reads {variable}: drop it from KNOWN"
        )


def test_the_protected_pattern():
    for word in ["name", "requester_name", "codename", "body", "message_text", "phone"]:
        assert FORBIDDEN.search(word), word
    for word in ["n", "link", "course", "minutes", "reminder", "quarter_end", "renamed"]:
        assert not FORBIDDEN.search(word), word
