def get_username(request, credentials):
    """The account a login attempt names, lower-cased, so lockout counts per account whatever
    the spelling. allauth posts it as ``login`` and authenticates with ``email``."""
    value = ""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or ""
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "")
    return value.strip().lower()
