"""What the audit log tells the apps above it. Sent inside the transaction of the change, so a
receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# An audited write changed the data (``record`` bumped the chain head's ``data_version``).
# Sent with ``version`` (the new data version) and ``action``. The reports queue a rebuild of
# their figures for the worker (reports/builds.py).
data_changed = Signal()
