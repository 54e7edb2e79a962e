"""What the roster does when the kernel says an employee has left the department."""


def supporter_separated(sender, *, employee, user, actor, **kwargs) -> None:
    """``accounts.alerts.employee_separated``: the supporter leaves the program
    (``services.supporter_leave_department``)."""
    from .services import supporter_leave_department

    if user is not None:
        supporter_leave_department(actor=actor, user=user)
