"""One settings file. Every deployment value comes from the environment (README, "Configuration").

PEERSUPPORT_ENV chooses the mode: ``production`` (the default, strict), ``development`` (what
``make run`` uses, plain HTTP on 127.0.0.1) or ``test``. Secrets may be given as ``NAME_FILE``
pointing at a file instead of ``NAME``. A value that cannot be parsed stops start-up with a message
naming the variable.
"""

import os
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

# Everything this process creates (the SQLite database and its -wal and -shm, backups, restored
# databases, files under var/) is readable by its owner only, whoever started it with whatever
# umask: every entry point (manage.py, gunicorn's wsgi, the worker) reads this file first. The
# database and backups are also created 0600 explicitly, so they stay private even if a server
# resets the umask after loading the application.
os.umask(0o077)
env = environ.FileAwareEnv()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false/1/0/yes/no."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _private_file(path: Path) -> None:
    """Make ``path`` (and its folder) if missing, readable by the owner only (0600, folder
    0700). An empty file is an empty SQLite database, and SQLite gives the -wal and -shm files
    it makes the database file's own permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_uid == os.getuid():  # an older, looser file of ours: tighten it
        path.chmod(0o600)


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env.str(name, default=default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name}={value!r} must be one of: {', '.join(sorted(choices))}."
        )
    return value


# Under pytest the default is the test mode; everywhere else it is production, the strict one.
ENVIRONMENT = env_choice(
    "PEERSUPPORT_ENV",
    "test" if "pytest" in sys.modules else "production",
    {"production", "development", "test"},
)
PRODUCTION = ENVIRONMENT == "production"
TESTING = ENVIRONMENT == "test"

# --- Core -----------------------------------------------------------------------------------

_DEV_SECRET = "insecure-development-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = (env.str("SECRET_KEY", default="") or "").strip() or None
if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set to a random value of at least 50 "
            "characters in production. For a local try-out use `make run`, which sets "
            "PEERSUPPORT_ENV=development."
        )
elif not SECRET_KEY:
    SECRET_KEY = _DEV_SECRET
    if not TESTING:
        warnings.warn(
            "Using the built-in development SECRET_KEY: fine on 127.0.0.1, never in production.",
            stacklevel=1,
        )

DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG=true is refused in production: it would leak data.")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name this service's host name(s).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000")
DEPARTMENT_NAME = env.str("DEPARTMENT_NAME", default="Demo City Police Department")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "axes",
    "django_tasks_db",
    "peersupport.crypto",
    "peersupport.audit",
    "peersupport.accounts",
    "peersupport.roster",
    "peersupport.selection",
    "peersupport.resources",
    "peersupport.support",
    "peersupport.governance",
    "peersupport.committee",
    "peersupport.notifications",
    "peersupport.confidentiality",
    "peersupport.releases",
    "peersupport.outreach",
    "peersupport.training",
    "peersupport.reports",
    "peersupport.web",
    "peersupport.calendars",
    "peersupport.integrations",
    "peersupport.cism",
    "demo",  # the demo department: last, outside the product (manage.py demo_department)
]

MIDDLEWARE = [
    # First, to time all the rest; gone from the chain unless metrics are on (web/metrics.py).
    "peersupport.web.metrics.LatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "peersupport.web.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.agency, and the rest of the request inside it (docs/design/agencies.md §2.1).
    "peersupport.accounts.middleware.AgencyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "peersupport.accounts.middleware.SessionLifetimeMiddleware",
    "peersupport.accounts.middleware.RequireMFAMiddleware",
    "peersupport.web.middleware.NoStoreMiddleware",
    # Axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "peersupport.urls"
WSGI_APPLICATION = "peersupport.wsgi.application"
ASGI_APPLICATION = "peersupport.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peersupport.web.context_processors.navigation",
            ],
        },
    },
]
# Django's form templates (field, label, errors, widgets) written in Python: the same HTML at a
# tenth of the cost, which was most of the time of the pages with many fields.
FORM_RENDERER = "peersupport.formfields.FastRenderer"

# --- Database -------------------------------------------------------------------------------

VAR_DIR = Path(env.str("PEERSUPPORT_VAR_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'peersupport.sqlite3'}")
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work side by side; synchronous=FULL makes a committed write
    # survive power loss; IMMEDIATE takes the write lock at BEGIN so two writers never deadlock;
    # secure_delete overwrites deleted content instead of leaving it in free pages.
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA secure_delete=ON;"
            "PRAGMA busy_timeout=20000"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if _db["NAME"] not in ("", ":memory:") and not str(_db["NAME"]).startswith("file:"):
        _private_file(Path(_db["NAME"]))
    # A new SQLite connection reads the whole schema on its first statement (a few ms for some
    # 300 tables and indexes): keep each worker's connection, as on PostgreSQL.
    _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
elif _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL names an unsupported engine ({_db['ENGINE']}): use sqlite:// or postgres://."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# A cache every process shares (allauth keeps used TOTP codes and rate limits there), in the same
# database, so several application servers need nothing more. The table is made by migrate.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "peersupport_cache",
        # Keys are stored as HMACs: a copy of the table cannot tell whose rate limit it holds.
        "KEY_FUNCTION": "peersupport.accounts.clientkey.opaque_cache_key",
    },
    # The codename page's counters (support/limits.py): process memory only, never a table or
    # a file, so that nothing about who tried codenames reaches a disk or a backup.
    "codename-limits": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "peersupport-codename-limits",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# --- Authentication -------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked account before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests that check hashing itself override this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 15, minimum=15)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"

# django-allauth: e-mail is the login; registration claims an existing employee record.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", {"mandatory", "optional", "none"}
)
ACCOUNT_ALLOW_REGISTRATION = env_bool("ACCOUNT_ALLOW_REGISTRATION", True)
ACCOUNT_SIGNUP_FORM_CLASS = "peersupport.accounts.forms.EmployeeSignupForm"
ACCOUNT_ADAPTER = "peersupport.accounts.adapters.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Peer Support] "
# Failed sign-ins are limited per account only: a department's staff often share one address
# behind a gateway, and an IP limit would lock all of them out together. Failed passwords are
# counted by axes (below; AccountAdapter.pre_authenticate); this allauth limit guards the
# second step, where a wrong MFA code is counted per account.
# A whole department may sign in through one gateway at shift change: allow that many sign-ins
# per address.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/key", "login": "300/m/ip"}
# allauth's remaining per-address limits (sign-in 30 a minute, sign-up 20) must see the client's
# address: behind N reverse proxies of ours, the N-th address from the right of X-Forwarded-For.
# Left at 0 behind a proxy, every client shares the proxy's address and one allowance.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Peer Support")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"


def _env_reader(variables: dict[str, str] | None):
    """A reader of one variable (or its _FILE) from the process environment, or from
    ``variables`` instead when given (the tests build their providers with it)."""
    source = env
    if variables is not None:
        source = environ.FileAwareEnv()
        source.ENVIRON = environ.FileAwareMapping(env=variables)

    def value(name: str, default: str = "") -> str:
        # A secret file usually ends with a newline, which is no part of the secret.
        return source.str(name, default=default).strip()

    return value


def oidc_providers(variables: dict[str, str] | None = None) -> dict:
    """SOCIALACCOUNT_PROVIDERS for single sign-on through OpenID Connect (docs/authentication.md).

    Empty, so no single sign-on, unless OIDC_SERVER_URL is set.
    """
    value = _env_reader(variables)
    server_url = value("OIDC_SERVER_URL")
    if not server_url:
        return {}
    if not server_url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"OIDC_SERVER_URL={server_url!r} is not an http(s) URL.")
    if PRODUCTION and not server_url.startswith("https://"):
        raise ImproperlyConfigured("OIDC_SERVER_URL must use https:// in production.")
    for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not value(name):
            raise ImproperlyConfigured(
                f"OIDC_SERVER_URL is set, so {name} (or {name}_FILE) must be set too: the "
                "client registered for this service at the identity provider."
            )
    provider_id = value("OIDC_PROVIDER_ID", "department")
    if not provider_id.replace("-", "").replace("_", "").isalnum():
        raise ImproperlyConfigured(
            f"OIDC_PROVIDER_ID={provider_id!r} may hold only letters, digits, - and _ (it is "
            "part of the callback URL)."
        )
    app_settings = {"server_url": server_url, "fetch_userinfo": True}
    # The provider's e-mail counts as verified when it says so (the email_verified claim), or
    # when it is in one of these domains: for providers that never send that claim.
    domains = [d.strip().lower() for d in value("OIDC_TRUSTED_EMAIL_DOMAINS").split(",")]
    if any(domains):
        app_settings["verified_email"] = [d for d in domains if d]
    return {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": provider_id,
                    "name": value("OIDC_PROVIDER_NAME", "Department sign-on"),
                    "client_id": value("OIDC_CLIENT_ID"),
                    "secret": value("OIDC_CLIENT_SECRET"),
                    "settings": app_settings,
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }


# The attributes a SAML response names each field with, tried in turn: Entra ID's and ADFS's
# claim URIs, the standard OIDs (Shibboleth), then the plain names an Okta app is usually given.
SAML_DEFAULT_ATTRIBUTES = {
    "uid": "urn:oasis:names:tc:SAML:attribute:subject-id,"
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress,"
    "urn:oid:0.9.2342.19200300.100.1.3,email",
    "first_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname,"
    "urn:oid:2.5.4.42,firstName",
    "last_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname,"
    "urn:oid:2.5.4.4,lastName",
}


def _pem_body(name: str, pem: str, kind: str) -> str:
    """A PEM certificate or private key as text (a bare base64 certificate gets its PEM lines),
    refused with a message naming the variable when it does not load."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    text = pem.strip()
    if kind == "certificate" and "-----BEGIN" not in text:
        text = f"-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----"
    try:
        if kind == "certificate":
            x509.load_pem_x509_certificate(text.encode())
        else:
            load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"{name} is not a PEM {kind} (nor a file holding one through {name}_FILE)."
        ) from None
    return text


def saml_providers(variables: dict[str, str] | None = None) -> dict:
    """SOCIALACCOUNT_PROVIDERS for single sign-on through SAML 2.0 (docs/authentication.md).

    Empty, so no SAML sign-on, unless one of the SAML_IDP_* variables is set; then the rest must
    be complete. Assertions must be signed by the identity provider's key; a response is
    accepted once (accounts/saml.py).
    """
    value = _env_reader(variables)
    entity_id, metadata_url = value("SAML_IDP_ENTITY_ID"), value("SAML_IDP_METADATA_URL")
    sso_url, cert = value("SAML_IDP_SSO_URL"), value("SAML_IDP_X509_CERT")
    if not any((entity_id, metadata_url, sso_url, cert)):
        return {}
    if not entity_id:
        raise ImproperlyConfigured(
            "SAML sign-on is half configured: SAML_IDP_ENTITY_ID must be set too (the "
            "identity provider's entity id, the Issuer of its responses)."
        )
    if metadata_url:
        urls = {"SAML_IDP_METADATA_URL": metadata_url}
        idp = {"entity_id": entity_id, "metadata_url": metadata_url}
    else:
        for name in ("SAML_IDP_SSO_URL", "SAML_IDP_X509_CERT"):
            if not value(name):
                raise ImproperlyConfigured(
                    f"SAML_IDP_ENTITY_ID is set without SAML_IDP_METADATA_URL, so {name} (or "
                    f"{name}_FILE for the certificate) must be set too."
                )
        urls = {"SAML_IDP_SSO_URL": sso_url}
        cert = _pem_body("SAML_IDP_X509_CERT", cert, "certificate")
        idp = {"entity_id": entity_id, "sso_url": sso_url, "x509cert": cert}
        if value("SAML_IDP_SLO_URL"):
            urls["SAML_IDP_SLO_URL"] = idp["slo_url"] = value("SAML_IDP_SLO_URL")
    for name, url in urls.items():
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{name}={url!r} is not an http(s) URL.")
        if PRODUCTION and not url.startswith("https://"):
            raise ImproperlyConfigured(f"{name} must use https:// in production.")
    slug = value("SAML_PROVIDER_ID", "department")
    if not slug.replace("-", "").replace("_", "").isalnum():
        raise ImproperlyConfigured(
            f"SAML_PROVIDER_ID={slug!r} may hold only letters, digits, - and _ (it is part of "
            "the service's SAML URLs)."
        )
    # SAML has no "e-mail verified" flag: the department's own domains are the ones its
    # identity provider vouches for. Without them nobody could be matched to an account.
    domains = [d.strip().lower() for d in value("SAML_TRUSTED_EMAIL_DOMAINS").split(",")]
    if not any(domains):
        raise ImproperlyConfigured(
            "SAML sign-on needs SAML_TRUSTED_EMAIL_DOMAINS: the department's mail domains, "
            "whose addresses the identity provider vouches for."
        )
    mapping = {
        field: [a.strip() for a in value(f"SAML_ATTRIBUTE_{field.upper()}", names).split(",")]
        for field, names in SAML_DEFAULT_ATTRIBUTES.items()
    }
    advanced = {
        "strict": True,
        "want_assertion_signed": True,
        "reject_idp_initiated_sso": True,
        "reject_deprecated_algorithm": True,
        # Identity providers on a department's intranet may have single-label host names.
        "allow_single_label_domains": True,
    }
    key, sp_cert = value("SAML_SP_PRIVATE_KEY"), value("SAML_SP_X509_CERT")
    if bool(key) != bool(sp_cert):
        raise ImproperlyConfigured(
            "SAML_SP_PRIVATE_KEY and SAML_SP_X509_CERT (or their _FILE) go together: the key "
            "signs this service's requests, the certificate is published in its metadata."
        )
    if key:
        advanced["private_key"] = _pem_body("SAML_SP_PRIVATE_KEY", key, "private key")
        advanced["x509cert"] = _pem_body("SAML_SP_X509_CERT", sp_cert, "certificate")
        advanced["authn_request_signed"] = True
    app_settings = {
        "idp": idp,
        "attribute_mapping": {k: [a for a in v if a] for k, v in mapping.items()},
        "verified_email": [d for d in domains if d],
        "advanced": advanced,
    }
    if value("SAML_SP_ENTITY_ID"):
        app_settings["sp"] = {"entity_id": value("SAML_SP_ENTITY_ID")}
    return {
        "saml": {
            "APPS": [
                {
                    "name": value("SAML_PROVIDER_NAME", "Department sign-on"),
                    "client_id": slug,
                    "settings": app_settings,
                }
            ],
        }
    }


# Single sign-on through OpenID Connect, switched on by OIDC_SERVER_URL, or SAML 2.0, switched
# on by SAML_IDP_ENTITY_ID (both may be on). An existing account with the provider's verified
# e-mail is signed in; an unclaimed employee record with that work e-mail gets a new account
# (SocialAccountAdapter); anyone else is refused.
SOCIALACCOUNT_PROVIDERS = {**oidc_providers(), **saml_providers()}
_sso_names = [a["name"] for p in SOCIALACCOUNT_PROVIDERS.values() for a in p["APPS"]]
if len(set(_sso_names)) < len(_sso_names):
    raise ImproperlyConfigured(
        "OpenID Connect and SAML sign-on are both on: give them different OIDC_PROVIDER_NAME "
        "and SAML_PROVIDER_NAME, the labels of their buttons."
    )
# allauth's SAML provider, refusing a response it has seen before. Named even when SAML is off,
# so the class is the same whichever settings first load allauth's registry (AccountsConfig).
SOCIALACCOUNT_PROVIDERS.setdefault("saml", {})["provider_class"] = (
    "peersupport.accounts.saml.DepartmentSAMLProvider"
)
SOCIALACCOUNT_ADAPTER = "peersupport.accounts.adapters.SocialAccountAdapter"
# allauth's SOCIALACCOUNT_ONLY (single sign-on alone, no passwords) cannot be combined with its
# MFA, which the program requires of privileged roles (allauth's own checks stop start-up): it
# is refused here with the reason rather than failing later, and password sign-in stays beside
# single sign-on (docs/authentication.md).
if env_bool("SOCIALACCOUNT_ONLY", False):
    raise ImproperlyConfigured(
        "SOCIALACCOUNT_ONLY is not supported: allauth cannot turn password sign-in off while "
        "its MFA is on, and the program requires MFA of privileged roles. Leave it unset."
    )
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# The record is matched on the e-mail the provider verified: nothing is left to ask (allauth's
# sign-up form would ask again for an e-mail and the employee number).
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False

# django-axes: lock the account (by username only, never by IP) after repeated failures.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "peersupport.accounts.axes.get_lock_key"
AXES_RESET_ON_SUCCESS = True
# The lock ends AXES_COOLOFF_MINUTES after it began. Attempts refused during it do not extend
# it, or the owner's own retry would keep the account locked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
# Nothing about the browser is kept: no access log of sign-ins, no IP address (axes is never
# told it) and no user agent, Accept header or form data in the lock counts (accounts/axes.py).
AXES_HANDLER = "peersupport.accounts.axes.BrowserlessDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "peersupport.accounts.axes.no_client_ip"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Masked in axes' logs and stored request data; "login" is what people type as their e-mail
# (sometimes their password, by mistake).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login"]
# axes warns when the IP address is not a lockout parameter; leaving it out is the decision above.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- Sessions and security headers ----------------------------------------------------------

# Django's database sessions, each read with one hand-written query (accounts/sessions.py).
SESSION_ENGINE = "peersupport.accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
# The idle limit counts from the last request: SessionLifetimeMiddleware renews the session's
# expiry when it was last renewed more than SESSION_RENEW_SECONDS ago, rather than writing the
# session (a commit with fsync) on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = 60
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Not "no-referrer": under it browsers send "Origin: null" with every form POST, which Django's
# CSRF origin check rightly refuses. "same-origin" still never sends a URL to another site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_secure_transport = PRODUCTION or env_bool("FORCE_HTTPS", False)
SESSION_COOKIE_SECURE = _secure_transport
CSRF_COOKIE_SECURE = _secure_transport
SECURE_SSL_REDIRECT = _secure_transport and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000) if _secure_transport else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
_sso_origins = [
    "/".join(app["settings"]["server_url"].split("/")[:3])
    for app in SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
] + [
    # SAML's sign-in redirects to the SSO URL; with metadata, its host is the metadata's.
    "/".join((idp.get("sso_url") or idp["metadata_url"]).split("/")[:3])
    for app in SOCIALACCOUNT_PROVIDERS["saml"].get("APPS", [])
    for idp in [app["settings"]["idp"]]
]
# Every browser feature the product does not use is refused, to the page and to anything it
# could embed (PermissionsPolicyMiddleware). Passkeys (WebAuthn) and writing to the clipboard
# (the codename page's copy button; never reading it) are the only ones used, by this site
# alone. Only names current browsers recognise: chromium reports an unknown one (such as
# the retired "interest-cohort") as a console error, which the browser tests count.
PERMISSIONS_POLICY = {
    **dict.fromkeys(
        [
            "accelerometer",
            "autoplay",
            "camera",
            "clipboard-read",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "gamepad",
            "geolocation",
            "gyroscope",
            "hid",
            "identity-credentials-get",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "otp-credentials",
            "payment",
            "picture-in-picture",
            "screen-wake-lock",
            "serial",
            "storage-access",
            "usb",
            "web-share",
            "window-management",
            "xr-spatial-tracking",
        ],
        [],
    ),
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "clipboard-write": ["self"],
}
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The service worker (/sw.js) and the web app manifest are this site's own files.
    "worker-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    # The sign-in page posts on to the single sign-on provider, when there is one.
    "form-action": [CSP.SELF, *_sso_origins, *env_list("CSP_FORM_ACTION_EXTRA", [])],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# --- Static files, e-mail, logging ----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            # WhiteNoise's compressed, hashed files; each address worked out once per process.
            else "peersupport.web.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
if TESTING:
    # Tests serve static files straight from the source folders, without collectstatic.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# EMAIL_URL: smtp://user:password@host:587/?tls=True, smtp+ssl://..., consolemail://, memorymail://
_email = env.email_url(
    "EMAIL_URL", default="consolemail://" if not PRODUCTION else "smtp://localhost:25"
)
_email_options = {
    option: _email[key]
    for option, key in (
        ("host", "EMAIL_HOST"),
        ("port", "EMAIL_PORT"),
        ("username", "EMAIL_HOST_USER"),
        ("password", "EMAIL_HOST_PASSWORD"),
        ("use_tls", "EMAIL_USE_TLS"),
        ("use_ssl", "EMAIL_USE_SSL"),
    )
    if _email.get(key) not in (None, "")
}
if not _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _email_options = {}
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="peer-support@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request logging carries URLs and client addresses; keep it to errors.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- The program's own settings -------------------------------------------------------------

# Demo personas' MFA secret is published in the README; the demo loader refuses production.
DEMO_PASSWORD = "peer-support-demo-2026"  # noqa: S105
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

# Keys kept outside the database (docs/operations.md, "Keys"). In production both are required.
# AUDIT_HMAC_KEY: the key of the audit log's HMAC chain (any long random string).
# ENCRYPTION_KEYS: "id:base64key[,id:base64key...]" of 32-byte AES-256-GCM keys; the first one
# encrypts, the others only decrypt until `manage.py rotate_keys` has moved everything off them.
AUDIT_HMAC_KEY = (env.str("AUDIT_HMAC_KEY", default="") or "").strip()
ENCRYPTION_KEYS = (env.str("ENCRYPTION_KEYS", default="") or "").strip()
if PRODUCTION:
    if len(AUDIT_HMAC_KEY) < 32:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) must be set to a random value of at least "
            "32 characters in production."
        )
    if not ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS (or ENCRYPTION_KEYS_FILE) must be set in production: generate one "
            "with `python manage.py generate_key`."
        )
elif TESTING:
    # Fixed test keys, so that subprocesses of the test suite read the same data.
    AUDIT_HMAC_KEY = AUDIT_HMAC_KEY or "test-audit-key-0123456789abcdef0123456789abcdef"
    ENCRYPTION_KEYS = ENCRYPTION_KEYS or "test1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="
else:
    if not AUDIT_HMAC_KEY or not ENCRYPTION_KEYS:
        # Derived from the development SECRET_KEY: stable across restarts of one checkout, and
        # never acceptable in production (refused above). `make run` writes real keys to var/.
        import base64
        import hashlib

        warnings.warn(
            "AUDIT_HMAC_KEY / ENCRYPTION_KEYS not set: deriving development keys from "
            "SECRET_KEY. Never do this with real data.",
            stacklevel=1,
        )
        _dev = hashlib.sha256(f"peersupport-dev-keys:{SECRET_KEY}".encode()).digest()
        AUDIT_HMAC_KEY = AUDIT_HMAC_KEY or base64.urlsafe_b64encode(_dev).decode()
        ENCRYPTION_KEYS = ENCRYPTION_KEYS or (
            "dev:" + base64.urlsafe_b64encode(hashlib.sha256(b"enc" + _dev).digest()).decode()
        )

# Checkpoints of the audit chain head outside the database (docs/operations.md, "Checking the
# audit log"): after every audited write, a signed line in AUDIT_CHECKPOINT_FILE (empty: none;
# the test suite sets its own per test). AUDIT_CHECKPOINT_KEY signs them (default: derived from
# AUDIT_HMAC_KEY). AUDIT_CHECKPOINT_EMAIL (addresses) and AUDIT_CHECKPOINT_WEBHOOK_URL get a
# copy at most every AUDIT_CHECKPOINT_REMOTE_SECONDS per process, and on `manage.py
# audit_checkpoint`.
AUDIT_CHECKPOINT_FILE = env.str(
    "AUDIT_CHECKPOINT_FILE",
    default="" if TESTING else str(VAR_DIR / "audit-checkpoints.log"),
).strip()
AUDIT_CHECKPOINT_KEY = (env.str("AUDIT_CHECKPOINT_KEY", default="") or "").strip()
AUDIT_CHECKPOINT_EMAIL = env_list("AUDIT_CHECKPOINT_EMAIL", [])
AUDIT_CHECKPOINT_WEBHOOK_URL = env.str("AUDIT_CHECKPOINT_WEBHOOK_URL", default="").strip()
AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT_SECONDS = env_int(
    "AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1
)
AUDIT_CHECKPOINT_REMOTE_SECONDS = env_int("AUDIT_CHECKPOINT_REMOTE_SECONDS", 300, minimum=0)
# The worker's kernel tick (peersupport/web/tasks.py): lapses role grant requests nobody
# decided, and checkpoints the audit chain head (and sends the copy) even when nothing is written.
KERNEL_TICK_SECONDS = env_int("KERNEL_TICK_SECONDS", 300, minimum=30)
# Finished background task results (django-tasks-db's table) are kept this long, then deleted.
TASK_RESULTS_KEEP_DAYS = env_int("TASK_RESULTS_KEEP_DAYS", 14, minimum=1)
if AUDIT_CHECKPOINT_KEY and len(AUDIT_CHECKPOINT_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_KEY must be at least 32 characters when set.")
if AUDIT_CHECKPOINT_WEBHOOK_URL and not AUDIT_CHECKPOINT_WEBHOOK_URL.startswith(
    ("https://", "http://")
):
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_WEBHOOK_URL must be an http(s) URL.")

# Support requests (docs/operations.md, "Support").
SUPPORT_OFFER_MINUTES = env_int("SUPPORT_OFFER_MINUTES", 15, minimum=1)
SUPPORT_ESCALATE_MINUTES = env_int("SUPPORT_ESCALATE_MINUTES", 60, minimum=1)
SUPPORT_RETENTION_DAYS = env_int("SUPPORT_RETENTION_DAYS", 30, minimum=0)
# Retired employees may always sign in and ask for support; with this on, a retiree who is an
# active peer supporter is also listed in the directory and offered requests (docs/roles.md).
RETIREES_MAY_SERVE = env_bool("RETIREES_MAY_SERVE", False)

# Codenames (docs/operations.md, "Codenames"). CODENAME_KEYS: "key[,older-key...]", newest
# first, each at least 32 characters; the first keys new codename lookups and requester tags,
# the others are only recognised (list an old key after a new one until nobody needs it).
# Unset: one key derived from AUDIT_HMAC_KEY (a dedicated secret that is never rotated), so
# SECRET_KEY can rotate freely. SECRET_KEY_FALLBACKS: former SECRET_KEYs, also honoured for
# requests and requester tags made before codename keys existed.
CODENAME_WORDS = 7
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
CODENAME_KEYS = env_list("CODENAME_KEYS", [])
if not CODENAME_KEYS:
    import hashlib
    import hmac

    CODENAME_KEYS = [
        hmac.new(AUDIT_HMAC_KEY.encode(), b"peersupport codename key", hashlib.sha256).hexdigest()
    ]
elif any(len(key) < 32 for key in CODENAME_KEYS):
    raise ImproperlyConfigured("CODENAME_KEYS: each key must be at least 32 characters.")
# Wrong codenames accepted per client (a tag of its address under a key that changes every
# CODENAME_LIMIT_WINDOW_SECONDS, kept only in this process's memory) and, as a ceiling, from
# everyone together per minute. Each web server process counts on its own.
CODENAME_CHECKS_PER_CLIENT = env_int("CODENAME_CHECKS_PER_CLIENT", 10, minimum=1)
CODENAME_LIMIT_WINDOW_SECONDS = env_int("CODENAME_LIMIT_WINDOW_SECONDS", 300, minimum=60)
CODENAME_CHECKS_PER_MINUTE = env_int("CODENAME_CHECKS_PER_MINUTE", 600, minimum=1)
# Argon2id cost of a codename hash (about 0.1 s here); the tests use a cheap one.
CODENAME_ARGON2 = (
    {"time_cost": 1, "memory_cost": 1024} if TESTING else {"time_cost": 3, "memory_cost": 65536}
)

# Notifications (docs/operations.md, "Notifications"): the outbox's delivery, retries and sweeper.
# SMS_WEBHOOK_URL: the department's SMS/phone gateway; each text is POSTed there as JSON, signed
# with SMS_WEBHOOK_SECRET (HMAC-SHA256 in X-Peersupport-Signature). Empty: no SMS channel.
SMS_WEBHOOK_URL = env.str("SMS_WEBHOOK_URL", default="")
SMS_WEBHOOK_SECRET = env.str("SMS_WEBHOOK_SECRET", default="")
SMS_WEBHOOK_TIMEOUT_SECONDS = env_int("SMS_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
if PRODUCTION and SMS_WEBHOOK_URL and len(SMS_WEBHOOK_SECRET) < 16:
    raise ImproperlyConfigured("SMS_WEBHOOK_SECRET must be at least 16 characters when SMS is on.")
# A delivery that fails is tried again after 30 s, 1 min, 2 min ... up to this many seconds apart,
# for ever: an escalation never ends silently.
NOTIFY_RETRY_MAX_SECONDS = env_int("NOTIFY_RETRY_MAX_SECONDS", 900, minimum=1)
# How long a worker may hold a notification it is sending before the sweeper takes it back.
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 120, minimum=1)
# How long a non-urgent alert waits so that others to the same person can go with it as one
# message ("3 things wait for you"; docs/operations.md, "Alerts"). Urgent kinds (escalations)
# never wait. The tests use 0: each sends at once unless a test sets a hold.
NOTIFY_COALESCE_SECONDS = env_int("NOTIFY_COALESCE_SECONDS", 0 if TESTING else 60, minimum=0)

# Webhooks to other systems (docs/webhooks.md): content-free events, signed, through the outbox.
# https only; WEBHOOK_ALLOW_HTTP lets an http:// address in too (development and tests only:
# refused in production). A delivery waits at most WEBHOOK_TIMEOUT_SECONDS for an answer.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
# An event a receiver has refused or not answered for this long is dropped, not retried again.
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 72, minimum=1)
if PRODUCTION and WEBHOOK_ALLOW_HTTP:
    raise ImproperlyConfigured("WEBHOOK_ALLOW_HTTP is for development and tests only.")

# The department's mail domains (docs/threat-model.md, "SCIM provisioning"): when set, an
# employee record's work e-mail must be at one of them (or a subdomain), whoever writes it (HR
# import, SCIM, the employee page). Registration claims a record through its work mailbox, so a
# record pointed at an outside mailbox would let its owner sign up as that employee.
WORK_EMAIL_DOMAINS = [d.strip().lower().lstrip("@") for d in env_list("WORK_EMAIL_DOMAINS", [])]

# Other systems' calls to the API and SCIM (peersupport/integrations): per token, per minute,
# counted in the shared cache; 0 turns the limit off.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600, minimum=0)
# SCIM (docs/scim.md): the most people one token may separate in 24 hours; more are refused
# (403), so a stolen token cannot end the whole department's roles. 0 turns the guard off.
SCIM_SEPARATIONS_PER_DAY = env_int("SCIM_SEPARATIONS_PER_DAY", 10, minimum=0)

# Web Push (docs/operations.md, "Web Push"): alerts to the browsers and phones people add on
# their devices page. VAPID_PRIVATE_KEY (or VAPID_PRIVATE_KEY_FILE): this server's P-256 key
# (base64url of the 32-byte secret; `python manage.py generate_vapid_key` makes one), kept
# outside the database like the other keys. Unset: the push channel is off (the devices page
# says so) and nothing else changes; set, it must parse and VAPID_SUBJECT must say who runs the
# service (mailto: or https:), or start-up stops. `make run` writes one to var/; the tests use a
# fixed one. A push carries a fixed title and a link path only, never the alert's words.
VAPID_PRIVATE_KEY = (env.str("VAPID_PRIVATE_KEY", default="") or "").strip()
if TESTING and not VAPID_PRIVATE_KEY:
    VAPID_PRIVATE_KEY = "VGhpcy1pcy10aGUtdGVzdC1WQVBJRC1rZXktMDAwMDA"  # noqa: S105 (tests only)
VAPID_SUBJECT = env.str(
    "VAPID_SUBJECT", default="" if PRODUCTION else "mailto:peer-support@localhost"
).strip()
if VAPID_PRIVATE_KEY:
    from peersupport.notifications.vapid import VapidKeyError, public_key_of

    try:
        VAPID_PUBLIC_KEY = public_key_of(VAPID_PRIVATE_KEY)
    except VapidKeyError as exc:
        raise ImproperlyConfigured(f"VAPID_PRIVATE_KEY: {exc}") from None
    if not (
        VAPID_SUBJECT.startswith("https://")
        or (VAPID_SUBJECT.startswith("mailto:") and "@" in VAPID_SUBJECT)
    ):
        raise ImproperlyConfigured(
            "VAPID_SUBJECT must be a mailto: or https: address of whoever runs this service "
            "when VAPID_PRIVATE_KEY is set (push services contact it about problems)."
        )
else:
    VAPID_PUBLIC_KEY = ""
# How long a push service keeps an alert for a device that is offline, and the topics whose
# alerts go with Urgency: high (the others: normal).
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 12 * 3600, minimum=0)
PUSH_URGENT_TOPICS = env_list("PUSH_URGENT_TOPICS", ["escalation"])
PUSH_TIMEOUT_SECONDS = env_int("PUSH_TIMEOUT_SECONDS", 10, minimum=1)

# Escalations of confidentiality exceptions (docs/operations.md, "Escalations").
ESCALATION_RENOTIFY_MINUTES = env_int("ESCALATION_RENOTIFY_MINUTES", 5, minimum=1)
# The steps the alert moves up, one per round until acknowledged: the on-duty BHS manager and
# advocacy supervisor, their backups, then the on-duty BHS manager's own manager.
ESCALATION_LADDER = env_list("ESCALATION_LADDER", ["on_duty", "backups", "bhs_manager_manager"])
_unknown_steps = set(ESCALATION_LADDER) - {"on_duty", "backups", "bhs_manager_manager", "role"}
if _unknown_steps or not ESCALATION_LADDER:
    raise ImproperlyConfigured(
        f"ESCALATION_LADDER has unknown steps {sorted(_unknown_steps)}: use on_duty, backups, "
        "bhs_manager_manager and role (everyone holding the BHS manager or advocacy role)."
    )
# Rounds of moving up the ladder; after them every round alerts the whole list.
ESCALATION_ROUNDS = env_int("ESCALATION_ROUNDS", 2, minimum=1)
# How often the worker checks for escalations to alert again and sweeps the outbox.
ESCALATION_TICK_SECONDS = env_int("ESCALATION_TICK_SECONDS", 15, minimum=1)

# Releases of information and their accounting of disclosures are kept at least 6 years.
RELEASE_RETENTION_YEARS = env_int("RELEASE_RETENTION_YEARS", 6, minimum=6)
# How often the worker purges releases past that retention.
RELEASES_TICK_SECONDS = env_int("RELEASES_TICK_SECONDS", 3600, minimum=60)
# How often the worker returns supporters whose inactive period has ended to active status.
ROSTER_TICK_SECONDS = env_int("ROSTER_TICK_SECONDS", 300, minimum=60)

# Selection of supporters (docs/operations.md, "Selection")
# Distinct colleagues who must nominate someone before they are invited to become a candidate.
SELECTION_MIN_NOMINATORS = env_int("SELECTION_MIN_NOMINATORS", 1, minimum=1)
# "always": nominations are open all year; "rounds": only during a round the coordinator opens.
SELECTION_NOMINATIONS = env_choice("SELECTION_NOMINATIONS", "always", {"always", "rounds"})
# The interview rubric: each panelist scores every criterion from 1 to SELECTION_SCORE_MAX.
SELECTION_RUBRIC = env_list(
    "SELECTION_RUBRIC",
    [
        "Listening and empathy",
        "Judgement and discretion",
        "Credibility with peers",
        "Emotional stability",
        "Motivation to serve",
    ],
)
if not SELECTION_RUBRIC or len(set(SELECTION_RUBRIC)) != len(SELECTION_RUBRIC):
    raise ImproperlyConfigured("SELECTION_RUBRIC needs at least one criterion, each named once.")
SELECTION_SCORE_MAX = env_int("SELECTION_SCORE_MAX", 5, minimum=2)
# A request to serve waiting this many days at one level of the chain of command is raised to
# the coordinator (once per level it waits at).
SELECTION_CHAIN_STALL_DAYS = env_int("SELECTION_CHAIN_STALL_DAYS", 14, minimum=1)
# An interview whose time passed this many days ago with no panel decision recorded is flagged
# overdue on the staff pages (the board, the candidacy, the coordinator's tasks).
SELECTION_INTERVIEW_OVERDUE_DAYS = env_int("SELECTION_INTERVIEW_OVERDUE_DAYS", 7, minimum=1)
# How often the worker looks for such waits.
SELECTION_TICK_SECONDS = env_int("SELECTION_TICK_SECONDS", 3600, minimum=60)

# Outreach (docs/operations.md, "Outreach"): a follow-up still open this many days after it
# was due is raised to the coordinators (once).
OUTREACH_OVERDUE_DAYS = env_int("OUTREACH_OVERDUE_DAYS", 2, minimum=1)

# Training (docs/operations.md, "Training")
# Hours of the initial course (one week: 5 days of 8 hours) required before becoming active.
TRAINING_INITIAL_HOURS = env_int("TRAINING_INITIAL_HOURS", 40, minimum=1)
TRAINING_INITIAL_DAYS = env_int("TRAINING_INITIAL_DAYS", 5, minimum=1)
# Update hours required each quarter; the year's requirement is four times this (32 hours).
TRAINING_QUARTER_HOURS = env_int("TRAINING_QUARTER_HOURS", 8, minimum=1)
# Hours a new workshop or follow-up course credits unless the coordinator sets others.
TRAINING_WORKSHOP_HOURS = env_int("TRAINING_WORKSHOP_HOURS", 4, minimum=1)
# What happens when a supporter falls out of compliance: "flag" (flag and tell the coordinator)
# or "inactive" (also set the supporter inactive, with the reason).
TRAINING_NONCOMPLIANCE_ACTION = env_choice(
    "TRAINING_NONCOMPLIANCE_ACTION", "flag", {"flag", "inactive"}
)
# Reminders: this many days before a session, and before the end of a quarter still unmet.
TRAINING_REMINDER_DAYS = env_int("TRAINING_REMINDER_DAYS", 3, minimum=1)
TRAINING_QUARTER_WARNING_DAYS = env_int("TRAINING_QUARTER_WARNING_DAYS", 21, minimum=1)
# For this many days of a new year the worker still judges the year just closed, so that
# attendance recorded late for December counts before anyone is flagged for that year.
TRAINING_YEAR_CLOSE_DAYS = env_int("TRAINING_YEAR_CLOSE_DAYS", 31, minimum=1)
# How often the worker runs the training tick (reminders and compliance).
TRAINING_TICK_SECONDS = env_int("TRAINING_TICK_SECONDS", 3600, minimum=60)

# Advisory committee (docs/operations.md, "Committee")
# Months of a term for a new seat (each seat keeps its own; elected members serve their seat's).
COMMITTEE_TERM_MONTHS = env_int("COMMITTEE_TERM_MONTHS", 24, minimum=1)
# A tie for the last seat(s) of an election: "lots" (a drawing of lots by the system, recorded
# with the result) or "vacant" (the tied seats stay vacant for another election).
COMMITTEE_TIE_RULE = env_choice("COMMITTEE_TIE_RULE", "lots", {"lots", "vacant"})
# How often the worker looks for elections whose voting has closed, to tally them.
COMMITTEE_TICK_SECONDS = env_int("COMMITTEE_TICK_SECONDS", 60, minimum=10)

# Program reporting (docs/operations.md, "Reports")
# Counts from 1 to this are never shown, and complementary cells are hidden so that they
# cannot be worked out (PROGRAM.md rule 8).
# At least 2: at 1 a hidden total is always exactly 1 (docs/operations.md, Reports).
REPORTS_SUPPRESSION_THRESHOLD = env_int("REPORTS_SUPPRESSION_THRESHOLD", 5, minimum=2)
# A bureau with fewer supporters than this is pooled with the others, so that no row of the
# reports is one supporter's work.
REPORTS_BUREAU_MIN_SUPPORTERS = env_int("REPORTS_BUREAU_MIN_SUPPORTERS", 3, minimum=1)
# A month stays open for entries dated in it this many days after it ends, unless the
# coordinator closes it sooner; then its figures are published and never change, and records
# dated in it that come later count as late entries of the next open month.
REPORTS_PERIOD_GRACE_DAYS = env_int("REPORTS_PERIOD_GRACE_DAYS", 10, minimum=0)
# Each web process keeps a person's "waiting for you" list this long while nothing audited
# changed (peersupport/web/waiting.py); 0 asks every source on every home page. Tests build
# their data with factories, which the audit chain does not see, so they ask every time.
WAITING_KEEP_SECONDS = env_int("WAITING_KEEP_SECONDS", 0 if TESTING else 30, minimum=0)

# Monitoring (docs/operations.md, "Monitoring"): GET /metrics in Prometheus's text format. Off
# (404) unless METRICS_TOKEN (or METRICS_TOKEN_FILE; the scraper sends it as a bearer token, at
# least 32 characters) or METRICS_ALLOWED_NETWORKS (CIDRs the connecting address must be in:
# REMOTE_ADDR, or the TRUSTED_PROXY_COUNT-th address from the right of X-Forwarded-For behind
# proxies) is set; with both, a scrape needs both. When on, each web process adds its request
# timings to files in PROMETHEUS_MULTIPROC_DIR (default var/metrics/), emptied at start by the
# gunicorn config (peersupport/gunicorn_conf.py), so that a scrape sees every worker's sum.
METRICS_TOKEN = (env.str("METRICS_TOKEN", default="") or "").strip()
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters when set.")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", [])
try:
    import ipaddress

    METRICS_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in METRICS_ALLOWED_NETWORKS]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None
METRICS_ENABLED = bool(METRICS_TOKEN or METRICS_NETWORKS)
METRICS_DIR = Path(env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "metrics")))
if METRICS_ENABLED and not TESTING:
    METRICS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    # prometheus_client chooses file-backed values by this variable when it is first imported.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)

# The largest HR roster file accepted (manage.py import_roster and the upload page,
# docs/hr-import.md): 20,000 people take about 3 MB.
ROSTER_IMPORT_MAX_BYTES = env_int("ROSTER_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

# CISM call-outs (docs/operations.md, "CISM call-outs"): the team counts as assembled once this
# many members have accepted a call-out (3: a lead and two, the smallest team for a defusing).
CISM_TEAM_MINIMUM = env_int("CISM_TEAM_MINIMUM", 3, minimum=1)
# Members who have not answered a call-out are alerted again (content-free) this many minutes
# after their last alert, at most CISM_REALERT_TIMES times (0: never again automatically).
CISM_REALERT_MINUTES = env_int("CISM_REALERT_MINUTES", 15, minimum=1)
CISM_REALERT_TIMES = env_int("CISM_REALERT_TIMES", 3, minimum=0)
