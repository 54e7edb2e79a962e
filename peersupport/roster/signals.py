"""What the roster tells the apps above it. Sent inside the transaction of the change, so a
receiver's writes (and their audit events) commit or roll back with it."""

from django.dispatch import Signal

# A supporter left active status (inactive, retired, removed): their work goes to others.
# Sent with ``supporter`` (the account) and ``actor``.
supporter_left_active = Signal()

# A supporter was appointed (in initial training). Sent with ``supporter`` (the account) and
# ``actor``: the training app tells the coordinator at once when training is already complete.
supporter_appointed = Signal()
