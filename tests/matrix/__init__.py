"""Authorization matrix entries of the feature apps, one module per app (see
tests/system/test_authorization_matrix.py). Each module defines

    MATRIX = {"app:url_name": {"GET": frozenset({...roles...}), "POST": ...}}

with roles from peersupport.accounts.models.Role, or PUBLIC / SIGNED_IN from
peersupport.accounts.permissions.
"""
