import os

import pytest

from quality_city.celery import ping

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
def test_a_task_result_comes_back_from_the_real_worker(celery_worker_process):
    result = ping.delay(41)
    payload = result.get(timeout=60)
    assert payload["value"] == 42
    assert payload["vendor"] == "postgresql"
    assert payload["pid"] != os.getpid()
    assert payload["pid"] == celery_worker_process.pid or payload["pid"] > 0
