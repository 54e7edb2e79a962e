"""What the SCIM endpoint says about itself (RFC 7643 §5–7): the service provider's
configuration, the resource types and the schemas of the attributes it reads and writes. Only
attributes that mean something here are listed; an identity provider's other attributes
(addresses, phone numbers, …) are ignored, never stored (docs/scim.md)."""

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_RESULTS = 200  # the most resources one page of a list holds


def _attr(
    name,
    kind="string",
    *,
    description="",
    required=False,
    mutability="readWrite",
    returned="default",
    uniqueness="none",
    multi=False,
    case_exact=False,
    sub=None,
    refs=None,
):
    attribute = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        attribute["subAttributes"] = sub
    if refs is not None:
        attribute["referenceTypes"] = refs
    return attribute


_USER_ATTRIBUTES = [
    _attr(
        "userName",
        description="The work e-mail address (how sign-in finds the record), or the employee "
        "number of a record without one.",
        required=True,
        uniqueness="server",
    ),
    _attr(
        "name",
        "complex",
        description="The person's names.",
        sub=[
            _attr("givenName", description="First name (80 characters at most)."),
            _attr("familyName", description="Last name (80 characters at most)."),
            _attr("formatted", mutability="readOnly", description="The name shown."),
        ],
    ),
    _attr("displayName", mutability="readOnly", description="The name shown."),
    _attr("nickName", description="The name the person goes by (preferred name)."),
    _attr("title", description="Rank or title (the roster's position)."),
    _attr("userType", description="sworn, civilian or corrections."),
    _attr(
        "active",
        "boolean",
        description="false: separated from the department (roles end, sessions end); true "
        "again: re-hired.",
    ),
    _attr(
        "emails",
        "complex",
        multi=True,
        description="The work e-mail address, read back from userName.",
        sub=[
            _attr("value"),
            _attr("type", description="work"),
            _attr("primary", "boolean"),
        ],
    ),
    _attr(
        "groups",
        "complex",
        multi=True,
        mutability="readOnly",
        description="The person's unit (change it through the Group's members).",
        sub=[
            _attr("value", mutability="readOnly"),
            _attr("$ref", "reference", mutability="readOnly", refs=["Group"]),
            _attr("display", mutability="readOnly"),
        ],
    ),
]

_ENTERPRISE_ATTRIBUTES = [
    _attr(
        "employeeNumber",
        description="The HR system's employee number; required when creating, never changes.",
        uniqueness="server",
    ),
    _attr("organization", mutability="readOnly", description="The department."),
    _attr(
        "department",
        description="The unit's path. Read when a user is created (a path on record places "
        "them there); afterwards a unit changes through Group membership.",
    ),
    _attr(
        "manager",
        "complex",
        description="The supervisor: the nearest unit head above the person.",
        sub=[
            _attr("value", description="The manager's id."),
            _attr("$ref", "reference", refs=["User"]),
            _attr("displayName", mutability="readOnly"),
        ],
    ),
]

_GROUP_ATTRIBUTES = [
    _attr(
        "displayName",
        description="The unit's path from the department, names separated by “/”.",
        required=True,
        uniqueness="server",
    ),
    _attr(
        "members",
        "complex",
        multi=True,
        description="The people in the unit itself (not its sub-units); adding someone moves "
        "them here, removing them moves them to the unit above.",
        sub=[
            _attr("value", mutability="immutable"),
            _attr("$ref", "reference", mutability="immutable", refs=["User"]),
            _attr("display", mutability="readOnly"),
            _attr("type", mutability="immutable"),
        ],
    ),
]

SCHEMAS = {
    USER: ("User", "An employee record.", _USER_ATTRIBUTES),
    ENTERPRISE: (
        "EnterpriseUser",
        "The employee's number, unit and manager.",
        _ENTERPRISE_ATTRIBUTES,
    ),
    GROUP: ("Group", "A unit of the department.", _GROUP_ATTRIBUTES),
}

RESOURCE_TYPES = {
    "User": {
        "name": "User",
        "endpoint": "/Users",
        "description": "Employee records",
        "schema": USER,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
    },
    "Group": {
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Units",
        "schema": GROUP,
        "schemaExtensions": [],
    },
}


def schema(schema_id: str, base: str) -> dict:
    name, description, attributes = SCHEMAS[schema_id]
    return {
        "schemas": [SCHEMA],
        "id": schema_id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{schema_id}"},
    }


def resource_type(name: str, base: str) -> dict:
    return {
        "schemas": [RESOURCE_TYPE],
        "id": name,
        **RESOURCE_TYPES[name],
        "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{name}"},
    }


def service_provider_config(base: str) -> dict:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token with the SCIM scope, made by the system administrator "
                "on the integration tokens page.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }
