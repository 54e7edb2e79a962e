from django.core.exceptions import ValidationError


def apply_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where the field exists, so
    the page re-renders with the message next to what caused it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
