"""The selection steps waiting for a person, on their home page (web.waiting), from
``selectors.tasks_for`` (a fixed number of queries per role held)."""

from django.urls import reverse

from peersupport.web.waiting import Waiting

from .selectors import tasks_for


def _step(candidacies, one: str, many: str, url: str) -> list[Waiting]:
    if not candidacies:
        return []
    n = len(candidacies)
    since = min(c.stage_changed_at for c in candidacies)
    return [Waiting(one if n == 1 else many.format(n=n), url, since, n)]


def for_person(user) -> list[Waiting]:
    tasks = tasks_for(user)
    steps = reverse("selection:tasks")
    board = reverse("selection:board")
    found = []
    if tasks.invitation is not None:
        found.append(
            Waiting(
                "Your invitation to serve as a peer supporter waits for your answer",
                reverse("selection:mine"),
                tasks.invitation.stage_changed_at,
            )
        )
    found += _step(tasks.to_score, "An interview to score", "{n} interviews to score", steps)
    found += _step(
        tasks.to_endorse,
        "A request to serve waits for your endorsement",
        "{n} requests to serve wait for your endorsement",
        steps,
    )
    found += _step(
        tasks.to_schedule,
        "A candidate's interview to schedule",
        "{n} candidates' interviews to schedule",
        board,
    )
    found += _step(
        tasks.to_decide,
        "A scored interview waits for the panel's decision",
        "{n} scored interviews wait for the panel's decision",
        board,
    )
    found += _step(
        tasks.overdue,
        "An interview is overdue: no panel decision recorded",
        "{n} interviews are overdue: no panel decision recorded",
        steps,
    )
    found += _step(
        tasks.to_recommend,
        "A candidate waits for your recommendation",
        "{n} candidates wait for your recommendation",
        steps,
    )
    found += _step(
        tasks.declined,
        "A chain-of-command decline to review",
        "{n} chain-of-command declines to review",
        steps,
    )
    found += _step(
        tasks.to_approve,
        "A candidate waits for your approval",
        "{n} candidates wait for your approval",
        steps,
    )
    return found
