"""HTML kept per process, for parts of a page that are the same for everyone who asks with the
same key: a form's fields before anything is typed, a filter form for the values submitted.

Rendering them was a large share of those pages' time (issue 21), and what they depend on is
small and cheap to read. The key must hold everything the HTML depends on (the values shown,
the day, a version, a setting) and nothing about who asks: the HTML is shared by everyone.
Never keep results of a query the viewer's rights decide. Forgotten all at once when full, so a
stream of odd keys costs memory for at most ``size`` entries."""

from collections.abc import Callable, Hashable

from django.utils.safestring import SafeString


class KeptHtml:
    def __init__(self, size: int = 256):
        self.size = size
        self._kept: dict[Hashable, SafeString] = {}

    def get(self, key: Hashable, render: Callable[[], SafeString]) -> SafeString:
        html = self._kept.get(key)
        if html is None:
            if len(self._kept) >= self.size:
                self._kept.clear()
            html = self._kept[key] = render()
        return html

    def clear(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)
