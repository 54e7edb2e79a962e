"""What confidentiality does when the kernel says an employee has left the department."""


def duty_holder_separated(sender, *, employee, user, actor, **kwargs) -> None:
    """``accounts.alerts.employee_separated``: their duty roster entries end, so no escalation
    alert goes to someone who has left (``services.duties_end_for``)."""
    from .services import duties_end_for

    if user is not None:
        duties_end_for(actor=actor, user=user)
