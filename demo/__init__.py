"""The demo department: a believable, deterministic police department to try the software with.

Not part of the product: nothing under ``peersupport/`` imports it. It builds on the product's
models from the outside, one seeder per domain (``accounts`` for units, people, personas and
sign-ins, then ``roster``, ``resources``, ``support``, ``releases``, ``confidentiality``,
``training`` and ``outreach``), and keeps its literal tables in ``data/`` (see ``tables``).
``manage.py demo_department`` loads it, ``manage.py demo_logins`` prints its sign-ins; both are
refused in production.
"""
