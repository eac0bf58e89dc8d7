"""The Celery application. Tasks live in each app's tasks.py and are thin adapters."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality_city.settings")

app = Celery("quality_city")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="quality_city.ping")
def ping(value: int) -> dict:
    """Round-trip used by health checks and the worker integration test."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT %s + 1", [value])
        (result,) = cursor.fetchone()
    return {"value": result, "vendor": connection.vendor, "pid": os.getpid()}
