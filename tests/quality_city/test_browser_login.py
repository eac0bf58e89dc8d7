import pytest

from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_logs_in_through_the_browser(
    live_login, page, catalog, offsite_requests, console_errors, artifacts_dir
):
    user = make_user("130500", "leader", username="browser_leader")
    live_login(user)
    assert "邢台市" in page.inner_text(".cards")
    page.screenshot(path=str(artifacts_dir / "home-logged-in.png"), full_page=True)
    assert offsite_requests == []
    assert console_errors == []
