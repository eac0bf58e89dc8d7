"""Full export and restore of the product's data (figures, targets, grants, scores, history...).

`export_all` writes one gzip'd Django JSON fixture plus a manifest (row count
per model and the sha256 of the data). `import_all` refuses a non-empty
database, loads the fixture in one transaction and verifies every count
against the manifest, so a restore either reproduces the export exactly or
writes nothing. Primary keys are kept, so references (history rows, score
runs, evidence) survive unchanged. For a national database, PostgreSQL's own
`pg_dump -Fc` / `pg_restore` is faster; this format is portable across
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime
import decimal
import gzip
import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

FORMAT_VERSION = 1
# Framework tables that are rebuilt by `migrate` or are transient.
EXCLUDED_APPS = {"contenttypes", "sessions", "admin", "axes", "django_celery_beat", "django_celery_results"}
EXCLUDED_MODELS = {"auth.permission"}


def _models():
    project_root = str(settings.BASE_DIR)
    chosen = []
    for config in apps.get_app_configs():
        if config.label in EXCLUDED_APPS:
            continue
        is_project = str(Path(config.path)).startswith(project_root) and ".venv" not in config.path
        if not (is_project or config.label in {"auth", "authtoken"}):
            continue
        for model in config.get_models():
            label = model._meta.label_lower
            if label not in EXCLUDED_MODELS and not model._meta.proxy and model._meta.managed:
                chosen.append(model)
    return chosen


@dataclass
class BackupResult:
    path: Path
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def export_all(path: Path) -> BackupResult:
    """Write every project row (and users) to `path` (.json.gz) with a manifest."""
    models = _models()
    counts = {m._meta.label_lower: m._default_manager.count() for m in models}
    with transaction.atomic():  # one consistent snapshot
        objects = (obj for m in models for obj in m._default_manager.order_by("pk").iterator(chunk_size=2000))
        rows = serializers.serialize("python", objects, use_natural_foreign_keys=True)
    data = json.dumps(rows, cls=_LosslessEncoder, ensure_ascii=False).encode()
    manifest = {
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "counts": counts,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    path = Path(path)
    with gzip.open(path, "wb") as fh:
        fh.write(json.dumps(manifest, ensure_ascii=False).encode() + b"\n")
        fh.write(data)
    return BackupResult(path=path, counts=counts)


class _LosslessEncoder(json.JSONEncoder):
    """Like DjangoJSONEncoder but keeps microseconds and every Decimal digit."""

    def default(self, o):
        if isinstance(o, (datetime.datetime, datetime.date, datetime.time)):
            return o.isoformat()
        if isinstance(o, (decimal.Decimal, uuid.UUID)):
            return str(o)
        return super().default(o)


class RestoreError(Exception):
    pass


def import_all(path: Path, *, allow_nonempty: bool = False) -> BackupResult:
    """Load an `export_all` file into an empty database, verifying counts and checksum."""
    with gzip.open(Path(path), "rb") as fh:
        manifest = json.loads(fh.readline())
        data = fh.read()
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreError(f"不支持的备份格式版本：{manifest.get('format_version')}")
    if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise RestoreError("备份文件校验失败（sha256 不一致），文件可能已损坏")
    models = {m._meta.label_lower: m for m in _models()}
    unknown = set(manifest["counts"]) - set(models)
    if unknown:
        raise RestoreError(f"备份中包含本系统没有的数据表：{', '.join(sorted(unknown))}")
    if not allow_nonempty:
        busy = [
            label
            for label, m in models.items()
            if manifest["counts"].get(label) and m._default_manager.exists()
        ]
        if busy:
            raise RestoreError(f"目标数据库非空，拒绝覆盖：{', '.join(busy[:5])}")
    with transaction.atomic():
        deferred = []
        for obj in serializers.deserialize("python", json.loads(data), handle_forward_references=True):
            obj.save()
            if obj.deferred_fields:
                deferred.append(obj)
        # Forward references (a row pointing at one stored later) are resolved once all exist.
        for obj in deferred:
            obj.save_deferred_fields()
        after = {label: models[label]._default_manager.count() for label in manifest["counts"]}
        wrong = {k: (v, after[k]) for k, v in manifest["counts"].items() if after[k] != v}
        if wrong:
            raise RestoreError(f"恢复后行数与备份不一致：{wrong}")
    _reset_sequences(list(models.values()))
    return BackupResult(path=Path(path), counts=after)


def _reset_sequences(models) -> None:
    """After inserting explicit pks, PostgreSQL sequences must move past them."""
    if connection.vendor != "postgresql":
        return
    out = io.StringIO()
    labels = sorted({m._meta.app_label for m in models})
    call_command("sqlsequencereset", *labels, stdout=out, no_color=True)
    sql = out.getvalue()
    if sql.strip():
        with connection.cursor() as cursor:
            cursor.execute(sql)
