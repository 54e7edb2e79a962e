"""Banners that every signed-in page shows above its content, registered by the apps that own
them (in ``AppConfig.ready()``), so the layout never imports a domain app.

A banner is a template and a function of the user that returns the items to show; an empty list
shows nothing. Each is asked only by pages that render the layout, once per page.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Banner:
    template: str
    items: Callable[..., list]


_banners: dict[str, Banner] = {}


def register_banner(name: str, *, template: str, items: Callable[..., list]) -> None:
    """Show ``template`` with ``items(user)`` on every page while it returns something."""
    _banners[name] = Banner(template=template, items=items)


def banners_for(user) -> list[tuple[str, list]]:
    shown = []
    for banner in _banners.values():
        items = banner.items(user)
        if items:
            shown.append((banner.template, items))
    return shown
