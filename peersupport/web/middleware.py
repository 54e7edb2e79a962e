from django.conf import settings
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class NoStoreMiddleware:
    """Pages for a signed-in person are never stored by the browser or a proxy, so the back
    button on a shared computer shows nothing after sign-out; signing out tells the browser to
    clear what it holds for this site."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        was_signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        response = self.get_response(request)
        if request.method == "POST" and request.path == reverse("account_logout") and was_signed_in:
            response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
            patch_vary_headers(response, ["Cookie"])
        return response


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "publickey-credentials-get": ["self"]}`` as the header's value:
    ``camera=(), publickey-credentials-get=(self)``."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in sorted(policy.items()))


class PermissionsPolicyMiddleware:
    """Every response (pages, redirects, errors, static files) carries ``Permissions-Policy``
    from ``settings.PERMISSIONS_POLICY``: the browser refuses the camera, the microphone, the
    location and every other feature the product does not use, even to a script that got in."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
