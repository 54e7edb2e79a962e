"""The SCIM 2.0 endpoint (RFC 7643/7644) at /scim/v2/, for Entra ID, Okta and any other
identity provider that provisions employee records and units (docs/scim.md).

Plain Django views for another system, never a person: a bearer token with the ``scim`` scope
is the only way in (``services.authenticate``; a session cookie gets nothing), calls beyond the
token's rate get 429 with ``Retry-After``, no CSRF token is asked for (there is no cookie to
forge with). Every answer is SCIM JSON; every refusal a SCIM error with its status and, where
RFC 7644 §3.12 has one, its ``scimType``. What each resource means and how each write goes
through the HR roster's code path is in ``scim_resources``.
"""

import json
from functools import wraps

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from peersupport.accounts.models import Employee
from peersupport.accounts.permissions import machine
from peersupport.tenancy import using_agency

from . import scim_schemas as schemas
from .registry import SCIM
from .scim_filter import FilterError, attr_name, matches, parse, to_q
from .scim_resources import (
    USER_FILTERS,
    Org,
    ScimError,
    audit_denied,
    group_filter_values,
    group_members,
    group_resource,
    group_write,
    invalid,
    member_ids,
    parse_path,
    pk_of,
    user_resource,
    user_set,
    user_state,
    user_write,
)
from .services import authenticate, bearer, throttled

CONTENT_TYPE = "application/scim+json"
DEFAULT_COUNT = 100
MAX_START = 2**31  # past any department; keeps the database's OFFSET in range
# A real SCIM body nests six levels at most (a PATCH's operation setting the manager's value).
MAX_DEPTH = 16


def respond(data: dict | None, status: int = 200, headers: dict | None = None) -> HttpResponse:
    body = b"" if data is None else json.dumps(data).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error(status: int, detail: str, scim_type: str | None = None, headers=None) -> HttpResponse:
    data = {"schemas": [schemas.ERROR], "status": str(status), "detail": detail}
    if scim_type:
        data["scimType"] = scim_type
    return respond(data, status, headers)


def endpoint(*methods: str):
    """A SCIM view: the method, then the token, then its rate; the view gets the token and
    every refusal it raises becomes a SCIM error."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return error(
                    405, "This method is not supported here.", None, {"Allow": ", ".join(methods)}
                )
            token = authenticate(bearer(request), SCIM)
            if token is None:
                return error(
                    401,
                    "A bearer token with the SCIM scope is required.",
                    None,
                    {"WWW-Authenticate": 'Bearer realm="scim"'},
                )
            wait = throttled(token)
            if wait:
                return error(
                    429,
                    "Too many requests for this token: wait a moment.",
                    None,
                    {"Retry-After": str(wait)},
                )
            try:
                # SCIM provisions the token's agency (issue 23).
                request.agency = token.agency
                with using_agency(token.agency_id):
                    return view(request, token, *args, **kwargs)
            except ScimError as exc:
                audit_denied(exc)
                return error(exc.status, exc.detail, exc.scim_type)
            except FilterError as exc:
                return error(400, str(exc), "invalidFilter")
            except ValidationError as exc:
                return error(400, " ".join(exc.messages), "invalidValue")
            except RecursionError:  # _body refuses deep bodies first; never a 500 all the same
                return error(400, "The body nests too deep.", "invalidSyntax")

        return machine(csrf_exempt(wrapper))

    return decorator


def _base(request) -> str:
    return request.build_absolute_uri(reverse("scim:users")).removesuffix("/Users")


def _body(request) -> dict:
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None
    if _depth(data) > MAX_DEPTH:
        raise ScimError(400, f"The body nests deeper than {MAX_DEPTH} levels.", "invalidSyntax")
    try:
        text = json.dumps(data, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800": half a character, which no database stores
        raise invalid("A value is not valid Unicode text.") from None
    if "\\u0000" in text:
        # PostgreSQL keeps no NUL in text: refused here rather than by the database.
        raise invalid("A value holds a NUL character.")
    if not isinstance(data, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return data


def _depth(data) -> int:
    """How deep objects and lists nest in ``data``, counted without recursion: what reads a
    body later (``user_set``) recurses, and a deep enough body would exhaust Python's stack."""
    deepest, stack = 0, [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        items = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return deepest


def _get(data: dict, name: str, default=None):
    """A member of a SCIM object, its name in any case (RFC 7643 §2.1)."""
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return default


def _check_schema(data: dict, schema: str) -> None:
    declared = _get(data, "schemas")
    if declared is not None and (
        not isinstance(declared, list) or schema.lower() not in {str(s).lower() for s in declared}
    ):
        raise ScimError(400, f"schemas must include {schema}.", "invalidSyntax")


def _page(request) -> tuple[int, int]:
    """startIndex (1-based; less than 1 is 1) and count (at most ``MAX_RESULTS``)."""
    try:
        start = int(request.GET.get("startIndex") or 1)
        count = int(request.GET.get("count") or DEFAULT_COUNT)
    except ValueError:
        raise invalid("startIndex and count must be whole numbers.") from None
    return min(max(start, 1), MAX_START), min(max(count, 0), schemas.MAX_RESULTS)


def _names(request, parameter: str) -> set[str]:
    raw = request.GET.get(parameter) or ""
    names = set()
    for name in raw.split(","):
        name = name.strip()
        if not name:
            continue
        lowered = name.lower()
        if lowered.startswith(schemas.ENTERPRISE.lower()):
            names.add(schemas.ENTERPRISE.lower())
        else:
            names.add(attr_name(name).split(".")[0])
    return names


def _project(resource: dict, request) -> dict:
    """``attributes`` and ``excludedAttributes`` (RFC 7644 §3.9), by top-level attribute;
    schemas, id and meta always stay."""
    wanted, unwanted = _names(request, "attributes"), _names(request, "excludedAttributes")
    always = {"schemas", "id", "meta"}
    kept = {}
    for key, value in resource.items():
        name = key.lower()
        if name not in always and ((wanted and name not in wanted) or name in unwanted):
            continue
        kept[key] = value
    return kept


def _list(resources: list[dict], total: int, start: int) -> HttpResponse:
    return respond(
        {
            "schemas": [schemas.LIST],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def _operations(data: dict) -> list[tuple[str, str | None, object]]:
    _check_schema(data, schemas.PATCH)
    operations = _get(data, "Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PATCH needs a list of Operations.", "invalidSyntax")
    found = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation is an object.", "invalidSyntax")
        op = str(_get(operation, "op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, "op must be add, replace or remove.", "invalidSyntax")
        path = _get(operation, "path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, "path must be a string.", "invalidPath")
        value = _get(operation, "value")
        if path is None and op == "remove":
            raise ScimError(400, "A remove operation needs a path.", "noTarget")
        if path is None and not isinstance(value, dict):
            raise ScimError(400, "An operation without a path takes an object.", "invalidValue")
        found.append((op, path, value))
    return found


# --- Discovery -----------------------------------------------------------------------------


@endpoint("GET")
def service_provider_config(request, token):
    return respond(schemas.service_provider_config(_base(request)))


@endpoint("GET")
def schema_list(request, token):
    found = [schemas.schema(schema_id, _base(request)) for schema_id in schemas.SCHEMAS]
    return _list(found, len(found), 1)


@endpoint("GET")
def schema_detail(request, token, schema_id):
    if schema_id not in schemas.SCHEMAS:
        raise ScimError(404, "No such schema.")
    return respond(schemas.schema(schema_id, _base(request)))


@endpoint("GET")
def resource_type_list(request, token):
    found = [schemas.resource_type(name, _base(request)) for name in schemas.RESOURCE_TYPES]
    return _list(found, len(found), 1)


@endpoint("GET")
def resource_type_detail(request, token, name):
    if name not in schemas.RESOURCE_TYPES:
        raise ScimError(404, "No such resource type.")
    return respond(schemas.resource_type(name, _base(request)))


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request, token, rest):
    raise ScimError(404, "There is no such SCIM endpoint.")


# --- Users ---------------------------------------------------------------------------------


def _user(scim_id) -> Employee:
    pk = pk_of(scim_id)
    employee = Employee.objects.filter(pk=pk).first() if pk is not None else None
    if employee is None:
        raise ScimError(404, "No such user.")
    return employee


def _user_answer(request, employee: Employee, status: int = 200) -> HttpResponse:
    base = _base(request)
    resource = user_resource(employee, Org.load(), base)
    headers = {"Location": resource["meta"]["location"]} if status == 201 else None
    return respond(_project(resource, request), status, headers)


@endpoint("GET", "POST")
def users(request, token):
    if request.method == "POST":
        data = _body(request)
        _check_schema(data, schemas.USER)
        state = user_state(None, None)
        for key, value in data.items():
            if str(key).lower() not in ("schemas", "id", "meta"):
                user_set(state, str(key), value)
        with transaction.atomic():
            employee = user_write(state, None, token_key=token.key)
        return _user_answer(request, employee, 201)
    found = Employee.objects.all()
    if request.GET.get("filter"):
        found = found.filter(to_q(parse(request.GET["filter"]), USER_FILTERS))
    total = found.count()
    start, count = _page(request)
    page = list(found.order_by("pk")[start - 1 : start - 1 + count]) if count else []
    org, base = Org.load(), _base(request)
    return _list([_project(user_resource(e, org, base), request) for e in page], total, start)


@endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request, token, scim_id):
    employee = _user(scim_id)
    if request.method == "GET":
        return _user_answer(request, employee)
    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        state = user_state(employee, Org.load())
        if request.method == "DELETE":
            # Never deleted: separated, as HR would (docs/scim.md).
            state["active"] = False
        elif request.method == "PUT":
            data = _body(request)
            _check_schema(data, schemas.USER)
            for key, value in data.items():
                if str(key).lower() not in ("schemas", "id", "meta"):
                    user_set(state, str(key), value)
        else:
            for op, path, value in _operations(_body(request)):
                if path is None:
                    for key, item in value.items():
                        user_set(state, str(key), item, op=op)
                else:
                    user_set(state, path, value, op=op)
        employee = user_write(state, employee, token_key=token.key)
    if request.method == "DELETE":
        return respond(None, 204)
    return _user_answer(request, employee)


# --- Groups --------------------------------------------------------------------------------


def _unit_id(scim_id, org: Org) -> int:
    pk = pk_of(scim_id)
    if pk is None or pk not in org.paths:
        raise ScimError(404, "No such group.")
    return pk


def _group_answer(request, unit_id: int, status: int = 200) -> HttpResponse:
    org = Org.load()
    members = None
    if "members" not in _names(request, "excludedAttributes"):
        members = group_members([unit_id])[unit_id]
    resource = group_resource(unit_id, org, _base(request), members)
    headers = {"Location": resource["meta"]["location"]} if status == 201 else None
    return respond(_project(resource, request), status, headers)


@endpoint("GET", "POST")
def groups(request, token):
    if request.method == "POST":
        data = _body(request)
        _check_schema(data, schemas.GROUP)
        path = parse_path(_get(data, "displayName"))
        members = _get(data, "members")
        unit_id = group_write(
            None,
            path=path,
            add=member_ids(members) if members else (),
            token_key=token.key,
        )
        return _group_answer(request, unit_id, 201)
    org = Org.load()
    found = sorted(org.paths, key=lambda pk: org.paths[pk])
    if request.GET.get("filter"):
        tree = parse(request.GET["filter"])
        found = [pk for pk in found if matches(tree, group_filter_values(pk, org))]
    start, count = _page(request)
    page = found[start - 1 : start - 1 + count]
    members = None
    if "members" not in _names(request, "excludedAttributes"):
        members = group_members(page)
    base = _base(request)
    resources = [
        _project(group_resource(pk, org, base, members[pk] if members else None), request)
        for pk in page
    ]
    return _list(resources, len(found), start)


def _members_filter(path: str) -> list[int]:
    """``members[value eq "12"]`` (one or more, joined by ``or``) → the ids it names."""
    inner = path[path.index("[") + 1 : path.rindex("]")]
    ids = []

    def walk(tree):
        if getattr(tree, "op", None) == "or" and hasattr(tree, "left"):
            walk(tree.left)
            walk(tree.right)
        elif getattr(tree, "attr", None) == "value" and tree.op == "eq":
            pk = pk_of(tree.value)
            if pk is None:
                raise invalid('A member is {"value": the user\'s id}.')
            ids.append(pk)
        else:
            raise ScimError(400, 'Only members[value eq "id"] is supported.', "invalidFilter")

    walk(parse(inner))
    return ids


@endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request, token, scim_id):
    unit_id = _unit_id(scim_id, Org.load())
    if request.method == "GET":
        return _group_answer(request, unit_id)
    if request.method == "DELETE":
        raise ScimError(
            400,
            "Units are never deleted here (people's history refers to them): rename or leave "
            "it empty.",
            "mutability",
        )
    data = _body(request)
    if request.method == "PUT":
        _check_schema(data, schemas.GROUP)
        members = _get(data, "members")
        group_write(
            unit_id,
            path=parse_path(_get(data, "displayName")),
            replace=member_ids(members) if members is not None else None,
            token_key=token.key,
        )
        return _group_answer(request, unit_id)
    path, wanted = None, None  # wanted: the members after the operations, once known
    changes: dict[int, bool] = {}  # user id -> in (True) or out (False)
    for op, target, value in _operations(data):
        items = [(target, value)] if target is not None else list(value.items())
        for name, item in items:
            key = str(name).strip().lower()
            if key == "displayname":
                if op == "remove":
                    raise ScimError(400, "A unit keeps its name.", "mutability")
                path = parse_path(item)
            elif key == "members":
                ids = member_ids(item) if item not in (None, []) else []
                if op == "replace":
                    wanted, changes = set(ids), {}
                elif op == "add":
                    changes.update(dict.fromkeys(ids, True))
                elif ids:
                    changes.update(dict.fromkeys(ids, False))
                else:
                    wanted, changes = set(), {}
            elif key.startswith("members[") and key.endswith("]"):
                if op != "remove":
                    raise ScimError(
                        400, "Members are added with the path “members”.", "invalidPath"
                    )
                changes.update(dict.fromkeys(_members_filter(str(name)), False))
            elif key.startswith("members"):
                raise ScimError(400, f"“{name}” is not a path this server knows.", "invalidPath")
            # Other attributes (externalId, …) mean nothing for a unit: ignored.
    add = [pk for pk, inside in changes.items() if inside]
    remove = [pk for pk, inside in changes.items() if not inside]
    if wanted is not None:
        wanted = (wanted | set(add)) - set(remove)
        group_write(unit_id, path=path, replace=wanted, token_key=token.key)
    else:
        group_write(unit_id, path=path, add=add, remove=remove, token_key=token.key)
    return _group_answer(request, unit_id)
