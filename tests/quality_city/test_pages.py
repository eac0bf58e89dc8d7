import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_home_serves_in_chinese(client, catalog):
    response = client.get("/")
    assert response.status_code == 200
    assert "质量强市看板" in response.content.decode()


def test_home_shows_the_users_region(client, catalog):
    from tests.factories import make_user

    user = make_user("130500", "leader")
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "邢台市" in body
    assert "56" in body


def test_english_is_available(client, catalog):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"


def test_admin_login_page_and_index(client, catalog):
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/").status_code == 200
    admin = User.objects.create_superuser("root", "r@example.invalid", "x-Very-long-pass-1")
    client.force_login(admin)
    body = client.get("/admin/").content.decode()
    assert "质量强市看板" in body
    assert client.get("/admin/indicators/figure/").status_code == 200
    assert client.get("/admin/indicators/region/?q=邢台").status_code == 200


def test_healthz_reports_the_database(client, catalog):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_api_docs_use_local_assets(client, catalog):
    admin = User.objects.create_superuser("root2", "r2@example.invalid", "x-Very-long-pass-1")
    client.force_login(admin)
    body = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in body
    assert "cdn" not in body.lower()
    assert "<script>" not in body  # the split view serves its script as a file (CSP)
    script = client.get("/api/docs/?script=").content.decode()
    assert "SwaggerUIBundle" in script
    assert client.get("/api/schema/").status_code == 200
