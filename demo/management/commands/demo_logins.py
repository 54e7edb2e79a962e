import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from demo.personas import (
    EMAIL_DOMAIN,
    PERSONA_EMAILS,
    PERSONAS,
    DemoRefused,
    demo_refuse_in_production,
)
from peersupport.accounts.models import Role, User


class Command(BaseCommand):
    help = "Print the demo department's sign-ins: one account per role, password and MFA."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="", help="where the site runs (default: the SITE_URL setting)"
        )

    def handle(self, *args, url: str, **options):
        try:
            demo_refuse_in_production()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        users = {u.email: u for u in User.objects.filter(email__in=PERSONA_EMAILS)}
        if not users:
            raise CommandError(
                "The demo department is not loaded: run `manage.py demo_department` first."
            )
        with_totp = set(
            Authenticator.objects.filter(
                user__in=users.values(), type=Authenticator.Type.TOTP
            ).values_list("user__email", flat=True)
        )
        password = settings.DEMO_PASSWORD
        secret = settings.DEMO_TOTP_SECRET
        site = (url or settings.SITE_URL or "http://127.0.0.1:8000").rstrip("/")

        rows = [("Role", "E-mail", "Password", "Second factor")]
        for persona in PERSONAS:
            if persona.email not in users:
                continue
            mfa = "TOTP code" if persona.email in with_totp else "not needed"
            rows.append((persona.label, persona.email, password, mfa))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))

        others = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exclude(
            email__in=PERSONA_EMAILS
        )
        out = self.stdout.write
        out(f"Demo sign-ins for {site}{reverse('account_login')}")
        out("")
        for line in lines:
            out(line.rstrip())
        out("")
        out(f"TOTP secret for every demo account that needs MFA: {secret}")
        out(f"  code now: {self._code(secret)}  (it changes every {mfa_settings.TOTP_PERIOD} s)")
        out(f"  in a shell: oathtool --totp -b {secret}")
        out("  or add the secret to any authenticator app (time-based, SHA-1, 6 digits).")
        out("Recovery codes: on the account's security page after signing in.")
        supporter = (
            others.filter(role_grants__role=Role.PEER_SUPPORTER, role_grants__revoked_at=None)
            .order_by("pk")
            .first()
        )
        if supporter is not None:
            out("")
            out(
                f"The other {others.count():,} demo accounts (peer supporters and employees who "
                "signed up) use the same password, and the same TOTP secret where MFA is needed; "
                f"for example the peer supporter {supporter.email}."
            )
        out("")
        out("These credentials are public: never load the demo department in production.")

    @staticmethod
    def _code(secret: str) -> str:
        counter = int(time.time()) // mfa_settings.TOTP_PERIOD
        return format_hotp_value(hotp_value(secret, counter))
