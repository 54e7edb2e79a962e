"""The exception categories of PROGRAM.md rule 4 and an approved version 1 of both policy
documents, in force from the day of the migration.

A frozen copy of what ``peersupport/governance/defaults.py`` held when this migration was
written: a migration must mean the same thing for ever, and ``defaults`` now seeds each new
agency (issue 23, step 3a) and may change. Version 1 of the notice repeats, word for word, the
built-in notice of peersupport/governance/notice.py."""

from django.db import migrations
from django.utils import timezone

# (code, name, explanation, action it triggers)
EXCEPTION_CATEGORIES = [
    (
        "danger-to-self",
        "Danger to self",
        "The person may harm themselves.",
        "Escalate at once; show the supporter crisis resources (988).",
    ),
    (
        "danger-to-others",
        "Danger to others",
        "The person may harm someone else.",
        "Escalate at once to the BHS manager and the advocacy supervisor.",
    ),
    (
        "child-abuse",
        "Suspected child abuse",
        "A child may be abused or neglected.",
        "Escalate at once; the mandated report follows.",
    ),
    (
        "narcotic-offenses",
        "Narcotic offenses",
        "A narcotic offense is disclosed.",
        "Escalate to the BHS manager.",
    ),
    (
        "domestic-violence",
        "Domestic violence",
        "Domestic violence is disclosed or suspected.",
        "Escalate at once to the BHS manager and the advocacy supervisor.",
    ),
    (
        "elder-abuse",
        "Elder abuse",
        "An elder may be abused or neglected.",
        "Escalate at once; the mandated report follows.",
    ),
    (
        "required-by-law",
        "Disclosure required by law",
        "A law or a court order requires disclosure.",
        "Escalate to the BHS manager before anything is disclosed.",
    ),
    (
        "release-signed",
        "Release signed by the person",
        "The person asks for disclosure and signs a release saying what goes to whom.",
        "Disclose only what the release covers, to whom it names, and record the disclosure.",
    ),
]

NOTICE_TITLE = "Confidentiality notice"
NOTICE_INTRO = (
    "What you tell a peer supporter stays between you and them. No one above you or your "
    "family member in the department, and no one who runs this service, can see that you "
    "asked for help. There are exceptions, which the supporter must act on:"
)
NOTICE_V1_EXCEPTIONS = [
    {"code": "danger-to-self", "name": "Danger to yourself", "explanation": ""},
    {"code": "danger-to-others", "name": "Danger to others", "explanation": ""},
    {"code": "child-abuse", "name": "Suspected child abuse", "explanation": ""},
    {"code": "narcotic-offenses", "name": "Narcotic offenses", "explanation": ""},
    {"code": "domestic-violence", "name": "Domestic violence", "explanation": ""},
    {"code": "elder-abuse", "name": "Elder abuse", "explanation": ""},
    {"code": "required-by-law", "name": "Disclosure required by law", "explanation": ""},
    {
        "code": "release-signed",
        "name": "You ask for disclosure and sign a release saying what goes to whom",
        "explanation": "",
    },
]
NOTICE_V1_LABEL = "program-default-1"
NOTICE_CLOSING = (
    "In any of these the supporter raises it with the Behavioral Health Services manager or "
    "the advocacy supervisor, and no one else. If you are in crisis now, call or text 988."
)

POLICY_TITLE = "Peer Support Program policy"
POLICY_BODY = """\
1. Nobody learns who sought help. No supervisor, coordinator, administrator or report can tell \
which employee or family member asked for support. The only ways out are a signed release that \
names the recipient, and a confidentiality escalation to the BHS manager or the advocacy \
supervisor.

2. Contacts are de-identified. A contact record holds the date, duration, mode, requester type, \
topics, whether the limits of confidentiality were explained, referrals and follow-up. No name, \
badge number or identifying free text.

3. Limits of confidentiality come first. Before the discussion the person is told the \
exceptions, from the currently approved confidentiality notice, and the contact records which \
version was shown.

4. The exceptions are: danger to self; danger to others; suspected child abuse; narcotic \
offenses; domestic violence; elder abuse; disclosure required by law; the person asks for \
disclosure and signs a release saying what goes to whom.

5. A confidentiality question is escalated at once to the BHS manager and the advocacy \
supervisor on duty.

6. A release of information records what information, to which named recipient, for what \
purpose and until when; it is signed and revocable at any time, and every disclosure under it \
is recorded.

7. Everything is audited.

8. Reports are aggregates only.

9. Protected records are encrypted at rest.

10. Peer supporters are bound by law and the department's rules too.

Supporters complete the initial training (40 hours) before they become active, and 32 hours of \
updates a year. Supporters acknowledge each approved version of this policy.
"""


def install(apps, schema_editor):
    ExceptionCategory = apps.get_model("governance", "ExceptionCategory")  # noqa: N806
    PolicyDocument = apps.get_model("governance", "PolicyDocument")  # noqa: N806
    PolicyVersion = apps.get_model("governance", "PolicyVersion")  # noqa: N806
    for order, (code, name, explanation, action) in enumerate(EXCEPTION_CATEGORIES, start=1):
        defaults = {
            "name": name,
            "explanation": explanation,
            "action": action,
            "active": True,
            "order": order * 10,
        }
        ExceptionCategory.objects.get_or_create(code=code, defaults=defaults)
    approved = {"status": "approved", "effective_date": timezone.localdate(), "number": 1}
    policy, _ = PolicyDocument.objects.get_or_create(
        kind="program_policy", defaults={"title": POLICY_TITLE}
    )
    if not policy.versions.exists():
        PolicyVersion.objects.create(
            document=policy, label="policy-v1", body=POLICY_BODY, **approved
        )
    notice, _ = PolicyDocument.objects.get_or_create(
        kind="confidentiality_notice", defaults={"title": NOTICE_TITLE}
    )
    if not notice.versions.exists():
        PolicyVersion.objects.create(
            document=notice,
            label=NOTICE_V1_LABEL,
            intro=NOTICE_INTRO,
            exceptions=NOTICE_V1_EXCEPTIONS,
            closing=NOTICE_CLOSING,
            **approved,
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
