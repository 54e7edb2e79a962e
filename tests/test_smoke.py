import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_for_each_persona(client_for, personas):
    for name in personas:
        resp = client_for(name).get(reverse("web:home"))
        assert resp.status_code == 200, name
