import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings

from peersupport.accounts.models import Employee, Language, RoleGrant, Unit, User

PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@pd.example.org")
    display_name = factory.Faker("name")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = Unit.Kind.UNIT
    parent = None


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "en"
    name = "English"


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_number = factory.Sequence(lambda n: f"E{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    work_email = factory.Sequence(lambda n: f"employee{n}@pd.example.org")
    employee_type = Employee.Type.SWORN
    rank_title = "Officer"
    unit = factory.SubFactory(UnitFactory)
    status = Employee.Status.ACTIVE


def grant(user: User, role: str, *, by: User | None = None) -> RoleGrant:
    return RoleGrant.objects.create(user=user, role=role, reason="test", granted_by=by)


def enable_totp(user: User) -> str:
    """Give the account a TOTP authenticator with the documented demo secret; return it."""
    secret = settings.DEMO_TOTP_SECRET
    TOTP.activate(user, secret)
    return secret
