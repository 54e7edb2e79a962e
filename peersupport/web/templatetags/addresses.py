"""``{% address_of "app:name" row.pk %}``: a row's link in a long list, as ``{% url %}`` gives
it, without reversing the same pattern for every row (``web.navigation.address_of``)."""

from django import template

from peersupport.web.navigation import address_of as _address_of

register = template.Library()


@register.simple_tag
def address_of(url_name: str, pk: int) -> str:
    return _address_of(url_name, pk)
