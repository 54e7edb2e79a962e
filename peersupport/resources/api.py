"""The resource directory in the API (scope ``resources.read``): the same public directory as
/resources/, active entries only, for the department's intranet or a wellness app to show."""

import datetime

from ninja import Path, Query, Router, Schema

from peersupport.integrations.api import Page, PageQuery, Text, paginate, token

from . import selectors
from .models import Category

RESOURCES_READ = "resources.read"
MAX_ID = 2**31 - 1

router = Router(tags=["resources"], auth=token(RESOURCES_READ))


class ResourceOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    description: str
    phone: str
    phone_then: str
    text_number: str
    text_keyword: str
    email: str
    website: str
    address: str
    hours: str
    available_24_7: bool
    cost: str
    cost_note: str
    is_internal: bool
    updated_at: datetime.datetime

    @staticmethod
    def resolve_category_label(obj) -> str:
        return obj.get_category_display()


class ResourcePage(Page):
    items: list[ResourceOut]


class ResourceQuery(PageQuery):
    category: Category | None = None
    q: Text = ""
    around_the_clock: bool = False


@router.get("", response=ResourcePage, url_name="resource_list", summary="The directory")
def resource_list(request, query: Query[ResourceQuery]):
    found = selectors.resource_search(
        query=query.q[:200],
        category=query.category or "",
        around_the_clock=query.around_the_clock,
    )
    return paginate(found, query)


@router.get("/{resource_id}", response=ResourceOut, url_name="resource", summary="One entry")
def resource(request, resource_id: int = Path(..., ge=1, le=MAX_ID)):
    return selectors.active_resource(resource_id)


def ready() -> None:
    from peersupport.integrations.api import register_router
    from peersupport.integrations.registry import register_scope

    register_scope(
        RESOURCES_READ,
        label="Resource directory",
        description="Read the resource directory (GET /api/v1/resources): the public entries.",
    )
    register_router("resources", router)
