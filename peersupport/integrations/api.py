"""The REST API for other systems (docs/api.md): one ``NinjaAPI`` at ``/api/v1/``, its OpenAPI
schema at ``/api/v1/openapi.json`` and no Swagger page (it loads its script from a CDN).

The kernel owns the door, the domain apps the rooms. A domain app that offers endpoints makes a
ninja ``Router`` in its own ``api.py``, guards it with ``token(scope)`` and hands it over with
``register_router`` and ``registry.register_scope`` in its ``AppConfig.ready``; the API is put
together when the URLs are first read, after every app is ready, so the kernel never imports a
domain app.

Only a token authenticates: a browser's session cookie is never read here, so a signed-in
person gets the same 401 as anyone without a token, and CSRF does not arise. Every refusal is a
small JSON object ``{"detail": ...}`` with a 4xx status: 401 (with ``WWW-Authenticate: Bearer``)
for a token that is missing, unknown, revoked, expired or without the scope, alike; 429 with
``Retry-After`` over ``API_RATE_LIMIT``; 422 for parameters that do not validate; 400 for a
request the service refuses, with its reasons.

The API's own default auth refuses everyone (``Nobody``): an endpoint is reached only through
the token of the scope its router or operation names, and one that forgot to name a scope is
closed rather than open. Every text a caller sends is a ``Text``: a NUL character or a lone
surrogate, which PostgreSQL cannot store or compare, is a 422 rather than a 500.
"""

from functools import wraps
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security.base import AuthBase
from pydantic import AfterValidator

from peersupport.accounts.permissions import machine, public
from peersupport.audit.services import record
from peersupport.tenancy import switch_to

from . import services
from .models import ApiToken

PREFIX = "api/v1/"
NAMESPACE = "api"
# The most items one page of a list holds (``limit``); the default is smaller.
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


# --- The door: a bearer token with the endpoint's scope --------------------------------------


class Unauthorized(AuthenticationError):
    """Raised by ``TokenAuth``: the handler names the scope that was needed."""

    def __init__(self, scope: str):
        super().__init__(401, "Unauthorized")
        self.scope = scope


class RateLimited(Exception):
    """Raised by ``TokenAuth`` over ``API_RATE_LIMIT``: 429 with ``Retry-After``."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


class TokenAuth(AuthBase):
    """A ninja auth for one scope: the caller is the active token of ``Authorization: Bearer``
    that holds ``scope`` (services.authenticate, which refuses every other token the same way),
    within its rate limit. ``request.auth`` is then the ``ApiToken``. One subclass per scope,
    named after it, so the OpenAPI schema names each endpoint's scope as its security scheme."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    scope = ""

    def __call__(self, request) -> ApiToken:
        found = services.authenticate(services.bearer(request), self.scope)
        if found is None:
            raise Unauthorized(self.scope)
        wait = services.throttled(found)
        if wait:
            raise RateLimited(wait)
        # The rest of the request acts for the token's agency (AgencyMiddleware ends it).
        switch_to(found.agency_id)
        request.agency = found.agency
        return found


_auths: dict[str, TokenAuth] = {}


def token(scope: str) -> TokenAuth:
    """The auth of a router or endpoint that needs ``scope``."""
    if scope not in _auths:
        doc = f"An integration token holding the scope {scope}."
        _auths[scope] = type(scope, (TokenAuth,), {"scope": scope, "__doc__": doc})()
    return _auths[scope]


class Nobody(AuthBase):
    """The API's default auth: refuses every caller, so an endpoint whose router and operation
    name no scope is never open. Named in the schema, so that endpoint is seen to be closed."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request) -> None:
        raise Unauthorized("none: this endpoint is closed")


def _plain(value: str) -> str:
    """Refuse what no text of the program holds and PostgreSQL refuses to compare: a NUL
    character, or a lone surrogate (half a character, which cannot be encoded)."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (a lone surrogate was sent)") from None
    return value


# The type of every text a caller sends (query parameters, bodies): ``str`` that refuses a NUL
# character and lone surrogates with 422, as any other invalid parameter.
Text = Annotated[str, AfterValidator(_plain)]


def audit_read(request, action, **details) -> None:
    """One audit event for a call that read records of people, as their exports are audited:
    no person acted, so the actor is None and the token's key says which system it was."""
    with transaction.atomic():
        record(actor=None, action=action, details={"token": request.auth.key, **details})


# --- Lists are pages ------------------------------------------------------------------------


class PageQuery(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items on this page.")
    offset: int = Field(0, ge=0, le=10**9, description="Items to skip.")


class Page(Schema):
    count: int = Field(description="Items in the whole list.")
    limit: int
    offset: int


def paginate(items, query: PageQuery) -> dict:
    """One page of ``items`` (a queryset: two queries, however long; or a list): the count,
    the bounds asked for and the items."""
    count = len(items) if isinstance(items, list) else items.count()
    chosen = items[query.offset : query.offset + query.limit] if query.offset < count else []
    return {"count": count, "limit": query.limit, "offset": query.offset, "items": list(chosen)}


# --- The routers of the domain apps ---------------------------------------------------------

_routers: dict[str, Router] = {}


def register_router(prefix: str, router: Router) -> None:
    """Serve ``router``'s endpoints under ``/api/v1/<prefix>``. Idempotent for the same prefix
    (an app's ``ready`` may run twice in tests); call it from ``AppConfig.ready``."""
    _routers[prefix] = router


def _detail(request, api, status: int, detail, **headers):
    response = api.create_response(request, {"detail": detail}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _build() -> NinjaAPI:
    api = NinjaAPI(
        title="Peer Support Program API",
        version="1",
        description="For the department's other systems, never people: see docs/api.md. "
        "Every endpoint needs `Authorization: Bearer <token>` with the scope it names.",
        urls_namespace=NAMESPACE,
        docs_url=None,
        openapi_url="/openapi.json",
        auth=Nobody(),
    )

    @api.exception_handler(Unauthorized)
    def unauthorized(request, exc):
        return _detail(
            request,
            api,
            401,
            "Send a valid integration token holding the scope "
            f"“{exc.scope}” as Authorization: Bearer <token>. A token that is unknown, "
            "revoked, expired or without the scope is refused alike.",
            **{"WWW-Authenticate": f'Bearer realm="api", scope="{exc.scope}"'},
        )

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc):
        return _detail(
            request,
            api,
            429,
            f"This token made more calls this minute than allowed; try again in {exc.wait} s.",
            **{"Retry-After": str(exc.wait)},
        )

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc):
        return api.create_response(request, {"detail": exc.errors}, status=422)

    @api.exception_handler(DjangoValidationError)
    def refused(request, exc):
        return _detail(request, api, 400, exc.messages)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _detail(request, api, 404, "Not found.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return _detail(request, api, exc.status_code, exc.message)

    for prefix in sorted(_routers):
        api.add_router(prefix, _routers[prefix])
    return api


_api: NinjaAPI | None = None


def api() -> NinjaAPI:
    global _api
    if _api is None:
        _api = _build()
    return _api


# The schema as sent, per root path (the only thing besides the code it depends on: a
# deployment under a path prefix gets its own). Built once per process, as the code does not
# change under a running process; ninja would build it again, endpoint by endpoint, for every
# request (10 to 14 times a signed-in page in bench/pages.py).
_schemas: dict[str, bytes] = {}


@require_GET
def _schema(request, **kwargs):
    the_api = api()
    root = the_api.get_root_path(kwargs)
    body = _schemas.get(root)
    if body is None:
        schema = the_api.get_openapi_schema(path_prefix=root, path_params=kwargs)
        body = _schemas[root] = the_api.renderer.render(request, schema, response_status=200)
        if isinstance(body, str):
            body = _schemas[root] = body.encode()
    return HttpResponse(body, content_type=the_api.get_content_type())


@require_GET
def _index(request):
    return JsonResponse({"openapi": f"/{PREFIX}openapi.json", "guide": "docs/api.md"})


@machine
@require_GET
def _unknown(request, rest: str = ""):
    """Any other address under /api/v1/: a JSON 404, as every answer of the API is JSON."""
    return JsonResponse({"detail": "No such endpoint: see /api/v1/openapi.json."}, status=404)


def _json_405(view):
    """A method the address does not take is a JSON 405 too (ninja and require_GET answer it
    as text), with the ``Allow`` header they set. ``wraps`` carries the view's declarations
    (its roles, no sign-in, CSRF exempt) over."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        answer = JsonResponse(
            {"detail": f"{request.method[:10]} is not a method of this address."}, status=405
        )
        answer["Allow"] = response.get("Allow", "")
        return answer

    return wrapper


def urls():
    """The API's URL patterns for ``path("api/v1/", …)``: each endpoint declared for another
    system (``MACHINE``: no role or session is let through), the schema public."""
    patterns, _app, namespace = api().urls
    kept = []
    for pattern in patterns:
        if pattern.name == "api-root":
            # ninja's root answers with its docs page, which is off: say where the schema is.
            view = public(_index)
        elif pattern.name == "openapi-json":
            view = public(_schema)
        else:
            # Exempt from signing in; only the token's check lets anyone through.
            view = machine(pattern.callback)
        route = "" if pattern.name == "api-root" else str(pattern.pattern)
        kept.append(path(route, _json_405(view), name=pattern.name))
    kept.append(path("<path:rest>", _json_405(_unknown), name="unknown"))
    return kept, NAMESPACE, namespace
