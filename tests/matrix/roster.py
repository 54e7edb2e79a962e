"""Who may use the supporter directory and the supporter's own pages
(tests/system/test_authorization_matrix.py).

The directory, a supporter's page and photo are for every employee (Role.EMPLOYEE follows from
an active or on-leave employee record: supporters, coordinators and supervisors hold it too);
the "My availability" pages are for peer supporters.
"""

from peersupport.accounts.models import Role

_EMPLOYEE = frozenset({Role.EMPLOYEE})
_SUPPORTER = frozenset({Role.PEER_SUPPORTER})

MATRIX = {
    "roster:directory": {"GET": _EMPLOYEE},
    "roster:detail": {"GET": _EMPLOYEE},
    "roster:photo": {"GET": _EMPLOYEE},
    "roster:mine": {"GET": _SUPPORTER},
    "roster:setup": {"POST": _SUPPORTER},
    "roster:set_availability": {"POST": _SUPPORTER},
    "roster:edit_profile": {"POST": _SUPPORTER},
    "roster:add_shift": {"POST": _SUPPORTER},
    "roster:remove_shift": {"GET": _SUPPORTER, "POST": _SUPPORTER},
}

MATRIX_PHOTO = "supporters/matrix-test.jpg"  # under MEDIA_ROOT; written once, reused


def _profile(dept):
    from peersupport.roster.models import SupporterProfile
    from peersupport.roster.services import supporter_profile_create

    user = dept.users["supporter"]
    return SupporterProfile.objects.filter(user=user).first() or supporter_profile_create(
        actor=user, user=user, status=SupporterProfile.Status.ACTIVE, reason="matrix"
    )


def _with_photo(dept) -> dict:
    from io import BytesIO

    from django.core.files.base import ContentFile
    from PIL import Image

    from peersupport.roster.models import photo_storage

    profile = _profile(dept)
    if not photo_storage.exists(MATRIX_PHOTO):
        out = BytesIO()
        Image.new("RGB", (8, 8), "navy").save(out, "JPEG")
        photo_storage.save(MATRIX_PHOTO, ContentFile(out.getvalue()))
    profile.photo.name = MATRIX_PHOTO
    profile.save(update_fields=["photo"])
    return {"profile_id": profile.pk}


def _shift(dept) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from peersupport.roster.models import OnCallShift

    start = timezone.now() + timedelta(days=1)
    shift = OnCallShift.objects.create(
        profile=_profile(dept), start=start, end=start + timedelta(hours=8)
    )
    return {"shift_id": shift.pk}


URL_KWARGS = {
    "roster:detail": lambda dept: {"profile_id": _profile(dept).pk},
    "roster:photo": _with_photo,
    "roster:remove_shift": _shift,
}
