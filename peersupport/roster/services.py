"""Writes about peer supporters: lifecycle, profile, availability and on-call shifts. Each one
writes its audit event in the same transaction as the change."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from peersupport.accounts.models import Employee, Role, User
from peersupport.accounts.services import SEPARATION_REASON, role_revoke_by_program
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications.messages import notify_message, site_link

from . import selectors
from .models import (
    ExperienceArea,
    OnCallShift,
    SupporterArea,
    SupporterProfile,
    photo_path,
    photo_storage,
)
from .rules import PIPELINE_ONLY, STATUS_CHANGERS, TRANSITIONS
from .signals import supporter_appointed, supporter_left_active

Status = SupporterProfile.Status
Availability = SupporterProfile.Availability
InactiveReason = SupporterProfile.InactiveReason

# --- Lifecycle ------------------------------------------------------------------------------


def _check_status_changer(actor: User | None) -> None:
    if actor is not None and not actor.has_role(*STATUS_CHANGERS):
        raise ValidationError("Only the coordinator, the BHS manager or the Chief may do this.")


@transaction.atomic
def supporter_profile_create(
    *, actor: User | None, user: User, status: str = Status.CANDIDATE, reason: str
) -> SupporterProfile:
    """Open a supporter profile for ``user``.

    A profile starts as a CANDIDATE (the selection pipeline moves it on), or as ACTIVE for
    someone who already holds the peer-supporter role: appointed before the program used this
    system. Such a supporter may set up their own profile (``actor`` is ``user``).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why."})
    if status not in (Status.CANDIDATE, Status.ACTIVE):
        raise ValidationError({"status": "A new supporter starts as a candidate or as active."})
    holds_role = Role.PEER_SUPPORTER in user.roles
    if status == Status.ACTIVE and not holds_role:
        raise ValidationError(
            {"status": "Only someone who holds the peer supporter role can start as active."}
        )
    own_setup = actor is not None and actor.pk == user.pk and status == Status.ACTIVE
    if not own_setup:
        _check_status_changer(actor)
    if not Employee.objects.filter(user=user).exists():
        raise ValidationError("A peer supporter needs an employee record.")
    # ``everywhere``: one profile per person, at home, whichever agency made it.
    if SupporterProfile.everywhere.filter(user=user).exists():
        raise ValidationError("This person already has a supporter profile.")
    now = timezone.now()
    profile = SupporterProfile.objects.create(
        user=user,
        status=status,
        status_changed_at=now,
        status_reason=reason[:300],
        created_at=now,
        availability_updated_at=now,
    )
    record(
        actor=actor,
        action=AuditAction.ROSTER_STATUS_CHANGED,
        target=profile,
        # Not the reason: it is encrypted in the profile, the audit log is not.
        details={"from": None, "to": status},
    )
    return profile


@transaction.atomic
def supporter_set_status(
    *,
    actor: User | None,
    profile: SupporterProfile,
    status: str,
    reason: str,
    inactive_reason: str = "",
    inactive_until: date | None = None,
    pipeline: bool = False,
) -> SupporterProfile:
    """Move a supporter along the lifecycle (``TRANSITIONS``).

    - To APPOINTED, or back to CANDIDATE from RETIRED, only with ``pipeline=True``: the
      selection pipeline's call when the Chief approves an appointment (``PIPELINE_ONLY``).
    - To ACTIVE from APPOINTED only once ``selectors.initial_training_complete`` says so.
    - To INACTIVE with a kind of reason (``InactiveReason``) and an optional end date.
    - Leaving ACTIVE sets availability to "off" (a supporter who comes back is offered nothing
      until they say they are available) and re-offers their open requests to others.
    - Retiring or removal ends their peer-supporter role.
    """
    _check_status_changer(actor)
    return _set_status(
        actor=actor,
        profile=profile,
        status=status,
        reason=reason,
        inactive_reason=inactive_reason,
        inactive_until=inactive_until,
        pipeline=pipeline,
    )


def _set_status(
    *,
    actor: User | None,
    profile: SupporterProfile,
    status: str,
    reason: str,
    inactive_reason: str = "",
    inactive_until: date | None = None,
    pipeline: bool = False,
) -> SupporterProfile:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the status changes."})
    if status not in Status.values:
        raise ValidationError({"status": "Unknown status."})
    profile = SupporterProfile.objects.select_for_update().get(pk=profile.pk)
    before = profile.status
    if status == before:
        raise ValidationError({"status": f"This supporter is already {Status(status).label}."})
    if status not in TRANSITIONS[before]:
        raise ValidationError(
            {
                "status": f"A supporter cannot go from {Status(before).label} to "
                f"{Status(status).label}."
            }
        )
    if status in PIPELINE_ONLY and not pipeline:
        raise ValidationError({"status": PIPELINE_ONLY[status]})
    if (
        before == Status.APPOINTED
        and status == Status.ACTIVE
        and not selectors.initial_training_complete(profile.user)
    ):
        raise ValidationError(
            {
                "status": "This supporter has not completed initial training yet; they "
                "become active once it is recorded as complete."
            }
        )
    if status == Status.INACTIVE:
        if inactive_reason not in InactiveReason.values:
            raise ValidationError(
                {"inactive_reason": "Say why: leave, own request, training or a decision."}
            )
        if inactive_until is not None and inactive_until < timezone.localdate():
            raise ValidationError({"inactive_until": "The end date cannot be in the past."})
    else:
        inactive_reason, inactive_until = "", None
    now = timezone.now()
    profile.status = status
    profile.status_changed_at = now
    profile.status_reason = reason[:300]
    profile.inactive_reason = inactive_reason
    profile.inactive_until = inactive_until
    fields = ["status", "status_changed_at", "status_reason", "inactive_reason", "inactive_until"]
    if before == Status.ACTIVE and profile.availability != Availability.OFF:
        profile.availability = Availability.OFF
        profile.availability_updated_at = now
        fields += ["availability", "availability_updated_at"]
    profile.save(update_fields=fields)
    # Not the reason: it is encrypted in the profile, the audit log is not.
    details = {"from": before, "to": status}
    if inactive_reason:
        details["kind"] = inactive_reason
    record(actor=actor, action=AuditAction.ROSTER_STATUS_CHANGED, target=profile, details=details)
    if before == Status.ACTIVE:
        supporter_left_active.send(sender=SupporterProfile, supporter=profile.user, actor=actor)
    if status == Status.APPOINTED:
        supporter_appointed.send(sender=SupporterProfile, supporter=profile.user, actor=actor)
    if status in (Status.RETIRED, Status.REMOVED):
        _end_supporter_role(actor=actor, user=profile.user, status=status)
    if actor is None or actor.pk != profile.user_id:
        notify_message(
            key=f"roster-status:{profile.pk}:{status}:{now.timestamp()}",
            user=profile.user,
            message="roster/status_changed",
            status=Status(status).label,
        )
    return profile


@transaction.atomic
def supporter_activate(*, actor: User, profile: SupporterProfile) -> SupporterProfile:
    """One click once initial training is complete: an appointed supporter becomes active (the
    same move as ``supporter_set_status``, with the reason written for the coordinator)."""
    _check_status_changer(actor)
    profile = SupporterProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.status != Status.APPOINTED:
        raise ValidationError(
            f"Only an appointed supporter is activated this way; this one is "
            f"{profile.get_status_display().lower()}."
        )
    return _set_status(
        actor=actor,
        profile=profile,
        status=Status.ACTIVE,
        reason="Initial training complete: activated.",
    )


# A supporter who leaves the department leaves the program as one who leaves active status. One
# still serving (active, or inactive on leave) retires from it, and may be nominated again if the
# department rehires them; one not yet serving (a candidate, or appointed and in training) can
# only be removed from the lifecycle (rules.TRANSITIONS).
SEPARATED_TO = {
    Status.ACTIVE: Status.RETIRED,
    Status.INACTIVE: Status.RETIRED,
    Status.CANDIDATE: Status.REMOVED,
    Status.APPOINTED: Status.REMOVED,
}


@transaction.atomic
def supporter_leave_department(*, actor: User | None, user: User) -> SupporterProfile | None:
    """``user``'s employee record has become separated (the employee page or the HR roster
    import, docs/hr-import.md): their profile takes the lifecycle's own move, which sets them
    off, re-offers their open requests (``supporter_left_active``) and ends their peer-supporter
    role. The department's record is the authority, so no status changer is asked. Returns the
    profile moved, or None when there is none to move."""
    profile = SupporterProfile.objects.filter(user=user).first()
    if profile is None or profile.status not in SEPARATED_TO:
        return None
    return _set_status(
        actor=actor,
        profile=profile,
        status=SEPARATED_TO[profile.status],
        reason=SEPARATION_REASON,
    )


def _end_supporter_role(*, actor: User | None, user: User, status: str) -> None:
    """A retired or removed supporter no longer holds the peer-supporter role."""
    role_revoke_by_program(
        actor=actor,
        user=user,
        role=Role.PEER_SUPPORTER,
        reason=f"Supporter {Status(status).label.lower()}",
    )


# --- What the supporter keeps up to date ----------------------------------------------------


def _check_owner(actor: User, profile: SupporterProfile) -> None:
    if actor is None or actor.pk != profile.user_id:
        raise ValidationError("Only the supporter may change this.")


@transaction.atomic
def supporter_set_availability(
    *, actor: User, profile: SupporterProfile, availability: str
) -> SupporterProfile:
    _check_owner(actor, profile)
    if availability not in Availability.values:
        raise ValidationError({"availability": "Choose available, busy or off."})
    profile = SupporterProfile.objects.select_for_update().get(pk=profile.pk)
    before = profile.availability
    if before == availability:
        return profile
    profile.availability = availability
    profile.availability_updated_at = timezone.now()
    profile.save(update_fields=["availability", "availability_updated_at"])
    record(
        actor=actor,
        action=AuditAction.ROSTER_AVAILABILITY_CHANGED,
        target=profile,
        details={"from": before, "to": availability},
    )
    return profile


PHOTO_MAX_SIZE = (400, 400)
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; a decompression bomb does not
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_UNREADABLE = "This file is not a picture we can use. Upload a JPEG, PNG or WebP photo."


def photo_to_jpeg(upload) -> bytes:
    """The uploaded picture, turned upright, shrunk to fit 400x400 and re-encoded as a JPEG.

    Only the pixels are kept: EXIF (with GPS position and camera serial), XMP, ICC profile and
    comments are dropped, and whatever else the original file held never reaches the disk.
    """
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": "The photo is too large; the limit is 10 MB."})
    upload.seek(0)
    try:
        with Image.open(upload) as original:
            if original.format not in PHOTO_FORMATS:
                raise ValidationError({"photo": PHOTO_UNREADABLE})
            if original.width * original.height > PHOTO_MAX_PIXELS:
                raise ValidationError(
                    {"photo": "The photo has too many pixels; use a smaller one."}
                )
            image = ImageOps.exif_transpose(original)
            image.thumbnail(PHOTO_MAX_SIZE, Image.Resampling.LANCZOS)
            if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, (255, 255, 255))
                image.paste(rgba, mask=rgba.getchannel("A"))
            elif image.mode != "RGB":
                image = image.convert("RGB")
            image.info = {}  # nothing of the original's metadata is carried over
            out = BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError({"photo": PHOTO_UNREADABLE}) from None
    finally:
        upload.seek(0)
    return out.getvalue()


def supporter_update_profile(
    *,
    actor: User,
    profile: SupporterProfile,
    bio: str,
    areas: Iterable[str],
    gender: str,
    show_gender: bool,
    photo=None,
    remove_photo: bool = False,
) -> SupporterProfile:
    """What the directory shows about a supporter, kept by the supporter: bio, experience
    areas, gender and whether to show it, and the photo (``photo`` an uploaded file, resized
    and re-encoded by ``photo_to_jpeg``; ``remove_photo`` to take it down)."""
    _check_owner(actor, profile)
    bio = bio.strip()
    if len(bio) > 600:
        raise ValidationError({"bio": "Keep the bio to 600 characters."})
    areas = set(areas)
    if not areas <= set(ExperienceArea.values):
        raise ValidationError({"areas": "Unknown experience area."})
    if gender and gender not in SupporterProfile.Gender.values:
        raise ValidationError({"gender": "Unknown choice."})
    if show_gender and not gender:
        raise ValidationError({"show_gender": "Choose your gender to show it, or untick this."})
    # The file is written before the transaction and removed again if the transaction fails,
    # so the row never points at a file that is not there.
    new_photo = None
    if photo is not None:
        new_photo = photo_storage.save(photo_path(profile, ""), ContentFile(photo_to_jpeg(photo)))
    try:
        with transaction.atomic():
            profile = _save_profile(
                actor=actor,
                profile=profile,
                bio=bio,
                areas=areas,
                gender=gender,
                show_gender=show_gender,
                new_photo=new_photo,
                remove_photo=remove_photo,
            )
    except BaseException:
        if new_photo:
            photo_storage.delete(new_photo)
        raise
    return profile


def _save_profile(*, actor, profile, bio, areas, gender, show_gender, new_photo, remove_photo):
    profile = SupporterProfile.objects.select_for_update().get(pk=profile.pk)
    changed = []
    for field, value in (("bio", bio), ("gender", gender), ("show_gender", show_gender)):
        if getattr(profile, field) != value:
            setattr(profile, field, value)
            changed.append(field)
    old_photo = profile.photo.name or None
    if new_photo or (remove_photo and old_photo):
        profile.photo.name = new_photo or ""
        changed.append("photo")
        if old_photo:
            transaction.on_commit(lambda: photo_storage.delete(old_photo))
    if changed:
        profile.save(update_fields=changed)
    before = set(profile.areas.values_list("area", flat=True))
    if before != areas:
        profile.areas.filter(area__in=before - areas).delete()
        SupporterArea.objects.bulk_create(
            SupporterArea(profile=profile, area=area) for area in sorted(areas - before)
        )
        changed.append("areas")
    if changed:
        record(
            actor=actor,
            action=AuditAction.ROSTER_PROFILE_UPDATED,
            target=profile,
            details={"fields": changed},
        )
    return profile


# --- On-call calendar -----------------------------------------------------------------------

ONCALL_HORIZON = timedelta(days=60)


@transaction.atomic
def oncall_shift_add(
    *, actor: User, profile: SupporterProfile, start: datetime, end: datetime
) -> OnCallShift:
    """Add an on-call shift. It must end after it starts, start no earlier than the current
    minute (a form gives minutes), end within 60 days, and overlap none of the supporter's
    other shifts (one may start when another ends)."""
    _check_owner(actor, profile)
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("on-call shift times must be timezone-aware")
    now = timezone.now()
    # Locks the profile, so two shifts added at once cannot both pass the overlap check.
    profile = SupporterProfile.objects.select_for_update().get(pk=profile.pk)
    if end <= start:
        raise ValidationError({"end": "The shift must end after it starts."})
    if start < now.replace(second=0, microsecond=0):
        raise ValidationError({"start": "The shift cannot start in the past."})
    if end > now + ONCALL_HORIZON:
        raise ValidationError({"end": "Plan on-call shifts at most 60 days ahead."})
    clash = profile.shifts.filter(start__lt=end, end__gt=start).order_by("start").first()
    if clash is not None:
        local = timezone.localtime
        raise ValidationError(
            "This overlaps your on-call shift from "
            f"{local(clash.start):%a %d %b %H:%M} to {local(clash.end):%a %d %b %H:%M}."
        )
    shift = OnCallShift.objects.create(profile=profile, start=start, end=end, created_at=now)
    record(
        actor=actor,
        action=AuditAction.ROSTER_AVAILABILITY_CHANGED,
        target=profile,
        details={"on_call": "added", "shift_id": shift.pk},
    )
    return shift


@transaction.atomic
def oncall_shift_remove(*, actor: User, shift: OnCallShift) -> None:
    _check_owner(actor, shift.profile)
    profile, shift_id = shift.profile, shift.pk
    deleted, _ = OnCallShift.objects.filter(pk=shift_id).delete()
    if deleted:
        record(
            actor=actor,
            action=AuditAction.ROSTER_AVAILABILITY_CHANGED,
            target=profile,
            details={"on_call": "removed", "shift_id": shift_id},
        )


def supporters_inactive_period_end(*, today: date | None = None) -> int:
    """Supporters whose inactive period has an end date that has come are active again (the
    worker, daily in effect). Out of training compliance is left to the training rules: being
    compliant again, not a date, ends it. Each comes back with availability "off" until they
    say otherwise, and is told through the outbox. Returns how many."""
    today = today or timezone.localdate()
    due = SupporterProfile.objects.filter(
        status=Status.INACTIVE, inactive_until__isnull=False, inactive_until__lte=today
    ).exclude(inactive_reason=SupporterProfile.InactiveReason.OUT_OF_COMPLIANCE)
    back = 0
    for profile in due.select_related("user"):
        ended = profile.inactive_until
        try:
            with transaction.atomic():
                _set_status(
                    actor=None,
                    profile=profile,
                    status=Status.ACTIVE,
                    reason=f"inactive period ended on {ended.isoformat()}",
                )
                notify_message(
                    key=f"inactive-ended:{profile.pk}:{ended.isoformat()}",
                    user=profile.user,
                    message="roster/inactive_ended",
                    link=site_link("roster:mine"),
                )
        except ValidationError:
            continue  # e.g. initial training not complete: stays inactive, shown to the coordinator
        back += 1
    return back
