import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hsettings
from rest_framework.authtoken.models import Token

from tests.factories import make_user

from quality_city.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def token(catalog):
    user = make_user("130500", "staff", "reviewer", "leader", username="fuzz_city")
    return Token.objects.create(user=user).key


@schema.parametrize()
@hsettings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
