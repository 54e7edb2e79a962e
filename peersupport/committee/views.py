"""The advisory committee's pages: the current committee (everyone signed in), the
coordinator's seats, appointments and elections, and the peer supporters' nominations and
ballots. Elections' pages are read by everyone signed in; counts appear once published."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required, signed_in
from peersupport.web.forms import apply_service_errors, posted, render_form, submit
from peersupport.web.pagination import paginate

from . import selectors, services
from .forms import (
    AnswerForm,
    AppointForm,
    BallotForm,
    CountForm,
    ElectionForm,
    EndForm,
    NominateForm,
    SeatForm,
    StandForm,
    VoidForm,
)
from .models import Candidate, Election

COORDINATOR = Role.COORDINATOR


@signed_in
@require_GET
def committee(request):
    elections = selectors.elections()
    context = {
        "rows": selectors.committee(),
        "open_election": next((e for e in elections if e.status == Election.Status.OPEN), None),
        "past": [e for e in elections if e.status != Election.Status.OPEN][:10],
        "can_manage": request.user.has_role(COORDINATOR),
    }
    return render(request, "committee/committee.html", context)


@roles_required(COORDINATOR)
@require_GET
def manage(request):
    context = {
        "rows": selectors.committee(history=True),
        "retired": selectors.retired_seats(),
        "elections": paginate(request, selectors.elections_listed()),
        "open_election": selectors.open_election(),
        "vacant_elected": selectors.vacant_elected_seats(),
        "today": timezone.localdate(),
    }
    return render(request, "committee/manage.html", context)


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def seat_create(request):
    form = SeatForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.seat_create(actor=request.user, **form.cleaned_data),
        success=lambda seat: f"Added the seat “{seat.name}”.",
        then="committee:manage",
    ):
        return done
    return render_form(request, "committee/seat_form.html", {"form": form})


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def seat_retire(request, seat_id: int):
    seat = selectors.seat(seat_id)
    errors: list[str] = []
    if done := submit(
        request,
        None,
        lambda: services.seat_retire(actor=request.user, seat=seat),
        success=f"Retired the seat “{seat.name}”.",
        then="committee:manage",
        errors=errors,
    ):
        return done
    return render_form(request, "committee/seat_retire.html", {"seat": seat, "errors": errors})


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def appoint(request, seat_id: int):
    seat = selectors.seat(seat_id)
    form = AppointForm(posted(request), initial={"term_start": timezone.localdate()})
    if done := submit(
        request,
        form,
        lambda: services.member_appoint(
            actor=request.user,
            seat=seat,
            user=selectors.account_by_email(form.cleaned_data["email"]),
            term_start=form.cleaned_data["term_start"],
            term_end=form.cleaned_data["term_end"],
        ),
        success=lambda membership: f"{membership.user} holds “{seat.name}”.",
        then="committee:manage",
    ):
        return done
    return render_form(request, "committee/appoint.html", {"seat": seat, "form": form})


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def member_end(request, membership_id: int):
    membership = selectors.membership(membership_id)
    form = EndForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.member_end(actor=request.user, membership=membership, **form.cleaned_data),
        success=f"{membership.user} no longer holds “{membership.seat}”.",
        then="committee:manage",
    ):
        return done
    return render_form(
        request, "committee/member_end.html", {"membership": membership, "form": form}
    )


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
@never_cache
def election_open(request):
    if request.method == "POST":
        form = ElectionForm(request.POST)
    else:
        rerun = request.GET.get("rerun", "")
        form = ElectionForm(
            initial={
                "seats": len(selectors.vacant_elected_seats()) or 1,
                "rerun_of": rerun if rerun.isdigit() else None,
            }
        )

    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        rerun_id = data.pop("rerun_of")
        try:
            rerun_of = selectors.election(rerun_id) if rerun_id else None
            election = services.election_open(actor=request.user, rerun_of=rerun_of, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # The count code is shown on this response only: no redirect, no session, no
            # message (both are stored), no cache.
            messages.success(request, "The election is open. Every active supporter is told.")
            context = {"election": election, "count_code": election.count_code}
            return render(request, "committee/count_code.html", context)
    return render_form(
        request,
        "committee/election_open.html",
        {"form": form, "tie_rule": settings.COMMITTEE_TIE_RULE},
    )


def _election_page(request, election, *, errors=(), nominate_form=None, status=200):
    user = request.user
    phase = election.phase()
    candidates = selectors.candidates(election)
    eligible = user.has_role(Role.PEER_SUPPORTER) and selectors.may_vote(user)
    own = next((c for c in candidates if c.user_id == user.pk), None)
    is_coordinator = user.has_role(COORDINATOR)
    if nominate_form is None and eligible and phase == "nominations":
        taken = {c.user_id for c in candidates}
        choices = [
            (pk, name)
            for pk, name in selectors.electorate_names()
            if pk != user.pk and pk not in taken
        ]
        nominate_form = NominateForm(choices=choices)
    context = {
        "election": election,
        "phase": phase,
        "standing": [c for c in candidates if c.status == Candidate.Status.STANDING],
        # Who is nominated and yet to answer, or declined, is the coordinator's to see.
        "others": [c for c in candidates if c.status != Candidate.Status.STANDING]
        if is_coordinator
        else [],
        "own": own,
        "eligible": eligible,
        "has_voted": eligible and selectors.has_voted(user=user, election=election),
        "stand_form": StandForm(),
        "nominate_form": nominate_form,
        "can_void": is_coordinator and election.status != Election.Status.VOIDED,
        "can_count": is_coordinator and phase == "counting",
        "errors": errors,
        "tie_order": _names_in_order(candidates, election.tie_draw.get("drawn", [])),
    }
    return render(request, "committee/election.html", context, status=status)


def _names_in_order(candidates, ids) -> list[str]:
    by_id = {c.pk: str(c.user) for c in candidates}
    return [by_id[pk] for pk in ids if pk in by_id]


@signed_in
@require_GET
def election(request, election_id: int):
    return _election_page(request, selectors.election(election_id))


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def stand(request, election_id: int):
    election = selectors.election(election_id)
    form = StandForm(request.POST)
    statement = form.cleaned_data["statement"] if form.is_valid() else ""
    try:
        services.candidate_stand(actor=request.user, election=election, statement=statement)
    except ValidationError as exc:
        return _election_page(request, election, errors=exc.messages, status=400)
    messages.success(request, "You are standing for election.")
    return redirect("committee:election", election_id=election.pk)


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def nominate(request, election_id: int):
    election = selectors.election(election_id)
    raw = request.POST.get("nominee", "")
    nominee_id = int(raw) if raw.isdigit() else None
    nominee = next((u for u in selectors.electorate() if u.pk == nominee_id), None)
    try:
        candidate = services.candidate_nominate(
            actor=request.user, election=election, nominee=nominee
        )
    except ValidationError as exc:
        return _election_page(request, election, errors=exc.messages, status=400)
    messages.success(request, f"You nominated {candidate.user}; they are asked to accept.")
    return redirect("committee:election", election_id=election.pk)


@roles_required(Role.PEER_SUPPORTER)
@require_http_methods(["GET", "POST"])
def answer(request, candidate_id: int):
    """The nominee's answer. GET (a link in a message) leads to the election page, where the
    accept and decline buttons are."""
    candidate = selectors.candidate_for_user(user=request.user, candidate_id=candidate_id)
    if request.method == "GET":
        return redirect("committee:election", election_id=candidate.election_id)
    form = AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Accept or decline the nomination.")
        services.candidate_answer(
            actor=request.user, candidate=candidate, accept=form.cleaned_data["accept"]
        )
    except ValidationError as exc:
        return _election_page(request, candidate.election, errors=exc.messages, status=400)
    if form.cleaned_data["accept"]:
        messages.success(request, "You accepted: you are standing for election.")
    else:
        messages.success(request, "You declined the nomination.")
    return redirect("committee:election", election_id=candidate.election_id)


@roles_required(Role.PEER_SUPPORTER)
@require_http_methods(["GET", "POST"])
def vote(request, election_id: int):
    election = selectors.election(election_id)
    standing = [c for c in selectors.candidates(election) if c.status == Candidate.Status.STANDING]
    form = BallotForm(posted(request), candidates=standing)
    errors = ()
    if request.method == "GET":
        # Say why not before anyone fills in a ballot that would be refused.
        if not selectors.may_vote(request.user):
            errors = ["Only active peer supporters vote in committee elections."]
        elif selectors.has_voted(user=request.user, election=election):
            errors = ["You have already voted in this election."]
        elif election.phase() != "voting":
            errors = ["Voting is not open for this election."]
    elif done := submit(
        request,
        form,
        lambda: services.ballot_cast(
            actor=request.user, election=election, choices=form.cleaned_data["choices"]
        ),
        success="Your ballot is cast. Nobody can see how you voted.",
        then=reverse("committee:election", args=[election.pk]),
    ):
        return done
    context = {"election": election, "form": form, "errors": errors, "standing": standing}
    return render_form(request, "committee/vote.html", context)


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def void(request, election_id: int):
    election = selectors.election(election_id)
    form = VoidForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.election_void(actor=request.user, election=election, **form.cleaned_data),
        success="The election is voided. You may now run it again.",
        then="committee:manage",
    ):
        return done
    return render_form(request, "committee/void.html", {"election": election, "form": form})


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
@never_cache
def count(request, election_id: int):
    """The counter types the count code; the ballots are opened and the totals published."""
    election = selectors.election(election_id)
    form = CountForm(posted(request))
    errors: list[str] = []
    if request.method == "GET" and election.phase() != "counting":
        errors = ["This election is not waiting to be counted."]
    if done := submit(
        request,
        form,
        lambda: services.election_count(
            actor=request.user,
            election=election,
            count_code=form.cleaned_data["count_code"],
            witness=form.cleaned_data["witness"],
        ),
        success="The votes are counted and the results published.",
        then=reverse("committee:election", args=[election.pk]),
        errors=errors,
    ):
        return done
    context = {"election": election, "form": form, "errors": errors}
    return render_form(request, "committee/count.html", context)
