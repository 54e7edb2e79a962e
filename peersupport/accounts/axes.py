from django.db.models import Q


def get_username(request, credentials) -> str:
    """The account a login attempt names, so that django-axes counts failures per account.

    allauth posts the e-mail as ``login`` and authenticates with ``email=``; Django's own forms
    use ``username``. Any address that can sign in to an account (its own, or another one added
    to it) counts as that account's e-mail; anything else is counted as typed, lower-cased.
    """
    value = ""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or ""
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "")
    value = value.strip().lower()
    if not value:
        return value
    from .models import User

    owner = (
        User.objects.filter(Q(email=value) | Q(emailaddress__email=value))
        .order_by("pk")
        .values_list("email", flat=True)
        .first()
    )
    return owner or value
