import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peersupport.accounts.agencies import in_default_agency
from peersupport.accounts.models import CONFIDENTIAL_ROLES, User
from peersupport.accounts.services import role_grant_bootstrap


class Command(BaseCommand):
    help = (
        "Bootstrap: grant a confidential role (the first BHS manager or Chief at install) when "
        "nobody exists who could approve it on the Roles page. Refused once somebody could. "
        "Audited as role.granted with via=command and the operator's name; the account's holder "
        "is alerted."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the account's e-mail address")
        parser.add_argument("role", choices=sorted(CONFIDENTIAL_ROLES))
        parser.add_argument("--reason", required=True, help="the decision behind the grant")
        parser.add_argument(
            "--operator",
            default="",
            help="who runs this command (defaults to the server account's name)",
        )

    def handle(self, *args, **options):
        # Units, employees and roles belong to an agency: the default one (accounts/agencies.py).
        with in_default_agency():
            return self._handle(*args, **options)

    def _handle(self, *args, email, role, reason, operator, **options):
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError("No account has this e-mail address.")
        try:
            grant = role_grant_bootstrap(
                user=user, role=role, reason=reason, operator=operator or getpass.getuser()
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"granted {grant.get_role_display()} to {user.email}")
