"""Making supporters with profiles: shared by the roster tests."""

from peersupport.accounts.models import Employee, Role, RoleGrant
from peersupport.roster.models import ExperienceArea, SupporterArea, SupporterProfile

from ..factories import EmployeeFactory, UserFactory, grant

Status = SupporterProfile.Status
Availability = SupporterProfile.Availability
Gender = SupporterProfile.Gender
A = ExperienceArea


def make_supporter(
    unit,
    *,
    first="Sam",
    last="Rivera",
    status=Status.ACTIVE,
    availability=Availability.AVAILABLE,
    employee_type=Employee.Type.SWORN,
    languages=(),
    areas=(),
    gender="",
    show_gender=False,
    user=None,
) -> SupporterProfile:
    if user is None:
        user = UserFactory(display_name=f"{first} {last}")
        EmployeeFactory(
            user=user,
            unit=unit,
            first_name=first,
            last_name=last,
            employee_type=employee_type,
            work_email=user.email,
        )
    user.employee.languages.set(languages)
    if not RoleGrant.objects.current().filter(user=user, role=Role.PEER_SUPPORTER).exists():
        grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.create(
        user=user,
        status=status,
        inactive_reason="leave" if status == Status.INACTIVE else "",
        availability=availability,
        gender=gender,
        show_gender=show_gender,
    )
    SupporterArea.objects.bulk_create(SupporterArea(profile=profile, area=a) for a in areas)
    return profile
