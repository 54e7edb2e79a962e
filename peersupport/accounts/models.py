import re
import secrets
import weakref

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import connections, models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from peersupport.crypto.fields import EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin, current_agency_id


class Role(models.TextChoices):
    """The roles of PROGRAM.md. EMPLOYEE and SUPERVISOR follow from the records; the rest are
    granted (see RoleGrant)."""

    EMPLOYEE = "employee", "Employee"
    PEER_SUPPORTER = "peer_supporter", "Peer supporter"
    COORDINATOR = "coordinator", "Program coordinator"
    BHS_MANAGER = "bhs_manager", "BHS manager"
    ADVOCACY_SUPERVISOR = "advocacy_supervisor", "Advocacy supervisor"
    CHIEF = "chief", "Chief of Police"
    SUPERVISOR = "supervisor", "Chain-of-command supervisor"
    PANELIST = "panelist", "Interview panelist"
    COMMITTEE_MEMBER = "committee_member", "Advisory committee member"
    SYSADMIN = "sysadmin", "System administrator"


DERIVED_ROLES = frozenset({Role.EMPLOYEE, Role.SUPERVISOR})
GRANTABLE_ROLES = frozenset(set(Role) - DERIVED_ROLES)
# Roles that may read protected content (requests, escalations, releases, the audit log, the
# selection pipeline) or approve who else may (the Chief). docs/roles.md lists what each reads.
# A system administrator must never hold one of them (separation of duties), and nobody alone
# gives one to an account: a grant by hand waits for a second person (RoleGrantRequest).
CONFIDENTIAL_ROLES = frozenset(
    {
        Role.PEER_SUPPORTER,
        Role.BHS_MANAGER,
        Role.ADVOCACY_SUPERVISOR,
        Role.COORDINATOR,
        Role.CHIEF,
    }
)
# Who approves a grant of a confidential role made by hand: the program's owner (the BHS
# manager) or the department's head (the Chief); never the one who asked, never the recipient.
GRANT_APPROVERS = frozenset({Role.BHS_MANAGER, Role.CHIEF})
# Every role except plain employee needs multi-factor authentication.
MFA_EXEMPT_ROLES = frozenset({Role.EMPLOYEE})

# The Django admin shows only the apps that hold no protected content: accounts and
# organisation, lockouts, e-mail addresses and single sign-on links (peersupport.web.admin).
ADMIN_APPS = frozenset({"accounts", "axes", "account", "socialaccount"})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get(self, *args, **kwargs):
        """``get(pk=...)`` with the query built once per database connection: every signed-in
        request loads its account so (``ModelBackend.get_user``), and building the query
        through the ORM cost more than running it (issue 21). The same SQL, the same
        conversions and the same model instance (``from_db``); any other lookup is Django's."""
        if args or kwargs.keys() != {"pk"}:
            return super().get(*args, **kwargs)
        alias = self.db
        connection = connections[alias]
        # Per model too: a migration's historical User may have other columns.
        plans = _USER_BY_PK.setdefault(connection, {})
        plan = plans.get(self.model)
        if plan is None:
            plan = plans[self.model] = _user_by_pk_plan(self.model, alias)
        sql, compiler, converters, attnames = plan
        key = self.model._meta.pk
        value = key.get_db_prep_value(key.get_prep_value(kwargs["pk"]), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [value])
            rows = cursor.fetchall()
        if not rows:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        return self.model.from_db(alias, attnames, rows[0])

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


# Per database connection (each thread has its own) and model: the SQL of
# ``User.objects.get(pk=...)``, its compiler, the conversions of its columns and their fields.
_USER_BY_PK: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _user_by_pk_plan(model, alias: str) -> tuple:
    query = models.QuerySet(model, using=alias).filter(pk=0).query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    assert list(params) == [0], params  # noqa: S101 (the one parameter is the key)
    columns = [column for column, _, _ in compiler.select]
    attnames = [column.target.attname for column in columns]
    return sql, compiler, compiler.get_converters(columns), attnames


class User(AbstractBaseUser):
    """A sign-in account. Login is by e-mail. Who the person is lives in Employee."""

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session of the account at once (services.user_end_sessions).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.display_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return str(self)

    def get_session_auth_hash(self):
        """Every session stores this; Django ends a session whose stored hash no longer
        matches. It changes with the password and with ``session_epoch``."""
        return self._get_session_auth_hash()

    def _get_session_auth_hash(self, secret=None):
        # Django also calls this with each of SECRET_KEY_FALLBACKS, so that rotating
        # SECRET_KEY with the old one as a fallback keeps everyone signed in.
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "peersupport.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_short_name(self):
        return str(self)

    @cached_property
    def _role_rows(self) -> tuple:
        from .selectors import role_rows

        return role_rows(self)

    @cached_property
    def roles(self) -> frozenset[str]:
        """The roles this account holds now (granted and derived) in the current agency.
        Cached for one request, read with ``roles_anywhere`` in one query."""
        from .selectors import roles_of

        return roles_of(self._role_rows, current_agency_id())

    @cached_property
    def roles_anywhere(self) -> frozenset[str]:
        """The roles this account holds in any agency (MFA, separation of duties)."""
        from .selectors import roles_of

        return roles_of(self._role_rows, None)

    def forget_roles(self) -> None:
        """Drop the cached roles after a grant or revocation, so the next check reads them."""
        for name in ("_role_rows", "roles", "roles_anywhere"):
            self.__dict__.pop(name, None)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    # The Django admin asks these. Deny by default: only a system administrator, and only for
    # the apps that hold no protected content (ADMIN_APPS).
    def has_perm(self, perm, obj=None):
        return self.is_active and Role.SYSADMIN in self.roles and perm.split(".")[0] in ADMIN_APPS

    def has_module_perms(self, app_label):
        return self.is_active and Role.SYSADMIN in self.roles and app_label in ADMIN_APPS

    @property
    def is_staff(self):
        return self.is_active and Role.SYSADMIN in self.roles


def new_link_code() -> str:
    """An agency's code in links (``?agency=…``, step 5): random, so that it says nothing of
    the agency and cannot be guessed from its name."""
    return secrets.token_urlsafe(9)


class Agency(models.Model):
    """One police department, or one regional team serving several, on this install (issue 23,
    docs/design/agencies.md). The migration made the existing department agency 1, the default
    one; until step 5 there is no way to make another, and a system check (accounts/checks.py)
    refuses to start with two active ones while the rows of the domains are not scoped.

    The default agency's name and time zone follow DEPARTMENT_NAME and TIME_ZONE (synced after
    every migrate, accounts/agencies.py) until the per-agency settings page (step 4)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", "Department"
        REGIONAL_TEAM = "regional_team", "Regional team"

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DEPARTMENT)
    link_code = models.CharField(max_length=24, unique=True, default=new_link_code)
    # Sign-in maps a work e-mail's domain and a SAML organisation to a person's home agency
    # (step 4); empty until then.
    mail_domains = models.JSONField(default=list, blank=True)
    saml_organization = models.CharField(max_length=100, blank=True)
    # Must equal TIME_ZONE until step 9 (rule 13: one clock for every deadline).
    time_zone = models.CharField(max_length=64)
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    # The agency's own values of the per-agency settings (step 4); the environment's otherwise.
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="agency_one_default",
            ),
        ]

    def __str__(self):
        return self.name


class Language(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def _agency_field(*, null: bool = False):
    """An agency-owned row's agency (docs/design/agencies.md §1.1): never deleted from under
    its rows, and never changed (``AgencyOwnedMixin``)."""
    return models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", null=null, blank=null
    )


class Unit(AgencyOwnedMixin, models.Model):
    """One node of the department's organisation. Its supervisor is the first link in the chain
    of command of everyone in it. Belongs to an agency (issue 23, step 2)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", "Department"
        BUREAU = "bureau", "Bureau"
        DIVISION = "division", "Division"
        PRECINCT = "precinct", "Precinct or section"
        UNIT = "unit", "Unit"

    agency = _agency_field()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    supervisor = models.ForeignKey(
        "Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_units",
    )

    # The current agency's units; ``everywhere`` only for the listed crossings (§2.3).
    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_name_unique_in_parent"),
            # The top units have no parent: their names are unique within their agency.
            models.UniqueConstraint(
                fields=["agency", "name"],
                condition=models.Q(parent__isnull=True),
                name="unit_top_name_unique_in_agency",
                violation_error_message="Another top unit already has this name.",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="unit_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name


# An employee number: letters and digits, with the separators HR systems use ("DEMO-000123",
# "A.1234"); stored in capitals (the employee page and the HR roster import agree).
EMPLOYEE_NUMBER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,30}[A-Za-z0-9])?")


class Employee(AgencyOwnedMixin, models.Model):
    """A member of the department, sworn, civilian or corrections. May have no account yet.
    Belongs to its unit's agency; a person who moves agency gets a new record there."""

    class Type(models.TextChoices):
        SWORN = "sworn", "Sworn"
        CIVILIAN = "civilian", "Civilian"
        CORRECTIONS = "corrections", "Corrections"

    class Shift(models.TextChoices):
        DAY = "day", "Day"
        EVENING = "evening", "Evening"
        NIGHT = "night", "Night"
        ROTATING = "rotating", "Rotating"
        NONE = "none", "No fixed shift"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_LEAVE = "on_leave", "On leave"
        RETIRED = "retired", "Retired"
        SEPARATED = "separated", "Separated"

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="employee"
    )
    agency = _agency_field()
    # Unique within the agency (constraint below).
    employee_number = models.CharField(max_length=32)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    work_email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    employee_type = models.CharField(max_length=16, choices=Type.choices)
    rank_title = models.CharField("rank or title", max_length=80)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="members")
    shift = models.CharField(max_length=16, choices=Shift.choices, default=Shift.DAY)
    languages = models.ManyToManyField(Language, blank=True, related_name="speakers")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # From the HR roster (docs/hr-import.md); blank where the department has not sent them.
    hire_date = models.DateField(null=True, blank=True)
    separation_date = models.DateField(null=True, blank=True)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "employee_number"],
                name="employee_number_unique_in_agency",
                violation_error_message="Another employee already has this employee number.",
            ),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        if self.work_email:
            self.work_email = self.work_email.strip().lower()
        else:
            self.work_email = None
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.preferred_name or self.first_name} {self.last_name}"


def person_name(preferred: str, first: str, last: str | None, display_name: str, email: str) -> str:
    """``Employee.full_name``, or ``str(user)`` for an account with no employee record (``last``
    is then None), from columns read with ``values_list``: lists of hundreds of people skip
    building the models."""
    if last is not None:
        return f"{preferred or first} {last}"
    return display_name or email


# Who may sign in, ask for support and find a supporter: everyone still with the department and
# its retirees, who are among those who most need peer support. Separated employees may not.
MEMBER_STATUSES = (Employee.Status.ACTIVE, Employee.Status.ON_LEAVE, Employee.Status.RETIRED)


class FamilyMember(RowBound):
    """An employee's relative. Usually has no account; may ask for support without one."""

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", "Spouse or partner"
        CHILD = "child", "Child"
        PARENT = "parent", "Parent"
        SIBLING = "sibling", "Sibling"
        OTHER = "other", "Other relative"

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="family")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    # Protected: a family member may be the person who asks for help.
    name = EncryptedTextField()
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="family_member"
    )

    # The employee's agency (never changes, so neither does this row's).
    objects = AgencyManager(path="employee__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    def __str__(self):
        return f"{self.get_relationship_display()} of {self.employee}"


class RoleGrantQuerySet(models.QuerySet):
    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


# A grant's agency may be empty only for the install's system administrator (issue 23, §3.2).
_AGENCY_OR_INSTALL_SYSADMIN = models.Q(agency__isnull=False) | models.Q(role="sysadmin")


class RoleGrant(AgencyOwnedMixin, RowBound):
    """A role held by an account: who granted it, when, until when, and whether it was revoked.
    Rows are never deleted, so the history of who held what stays. Roles are held in an agency;
    an empty agency (the install's system administrator) only for role sysadmin."""

    agency = _agency_field(null=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(
        max_length=32, choices=[(r.value, r.label) for r in Role if r not in DERIVED_ROLES]
    )
    # Encrypted: a reason may say why a person needs the role ("covering for ... on leave").
    reason = EncryptedTextField()
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = EncryptedTextField(blank=True)

    # Grants in the current agency, and the install system administrator's (no agency).
    objects = AgencyManager.from_queryset(RoleGrantQuerySet)(include_null=True)
    everywhere = RoleGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "agency"],
                condition=models.Q(revoked_at__isnull=True),
                name="rolegrant_one_open_grant_per_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(revoked_at__isnull=True, agency__isnull=True),
                name="rolegrant_one_open_install_grant_per_role",
            ),
            models.CheckConstraint(
                condition=_AGENCY_OR_INSTALL_SYSADMIN, name="rolegrant_agency_or_install_sysadmin"
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} for {self.user}"

    @property
    def is_current(self):
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class RoleGrantRequest(AgencyOwnedMixin, RowBound):
    """A grant of a confidential role made by hand, waiting for a second person (two-person
    rule, docs/roles.md). It becomes a RoleGrant only when an approver says yes; it lapses
    after ``PENDING_DAYS``. Rows are kept as history."""

    PENDING_DAYS = 3

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        LAPSED = "lapsed", "Lapsed without a decision"

    agency = _agency_field(null=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_grant_requests")
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    reason = EncryptedTextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    lapses_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    grant = models.OneToOneField(
        RoleGrant, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    objects = AgencyManager(include_null=True)
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "agency"],
                condition=models.Q(status="pending"),
                name="rolegrantrequest_one_pending_per_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(status="pending", agency__isnull=True),
                name="rolegrantrequest_one_pending_install_per_role",
            ),
            models.CheckConstraint(
                condition=_AGENCY_OR_INSTALL_SYSADMIN,
                name="rolegrantrequest_agency_or_install_sysadmin",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} for {self.user} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status == self.Status.PENDING and self.lapses_at > timezone.now()


def work_email_problem(email: str | None) -> str:
    """Why ``email`` cannot be a record's work e-mail under WORK_EMAIL_DOMAINS, or ""."""
    from django.conf import settings

    domains = settings.WORK_EMAIL_DOMAINS
    if not email or not domains:
        return ""
    domain = email.rsplit("@", 1)[-1].lower()
    if any(domain == d or domain.endswith("." + d) for d in domains):
        return ""
    return f"“{email}” is not at the department's mail domain ({', '.join(domains)})."
