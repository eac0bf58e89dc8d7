"""Keep requests working while Redis (the Celery broker and the cache) is down.

The broker, the result backend and the cache all live in the Redis of
REDIS_URL. When it is unreachable, `task.delay()` retries publishing and then
raises kombu's OperationalError, and Django's RedisCache raises redis'
ConnectionError. Both usually happen in a view or in a `transaction.on_commit`
callback, i.e. after the user's data was committed: the user would get a 500
for a save that succeeded, and the work the task stood for would be lost.

- `enqueue_or_run_inline(task, kwargs=...)` publishes with a short, bounded
  retry; when the broker cannot be reached it runs the task in this process
  (Celery's `apply`, exactly what eager mode does), so the work is done now
  instead of waiting in a queue that does not exist, and it records a notice.
- `cache_call(fn, ...)` runs one cache operation and answers `default` when the
  cache is unreachable (a lost coalescing key costs one extra run, never a
  lost one).
- `InlineNoticeMiddleware` turns the notices of a request into a visible
  warning message on the next page, and an `X-QC-Degraded` header for API
  clients.

When Redis is back nothing needs replaying: every request that arrived while
it was down was either served inline or failed before anything was committed.

The same goes for hostile input that would otherwise reach PostgreSQL and end
in a 500: `RejectNulBytesMiddleware` refuses a NUL character (0x00) in the
path, the query string or a form / JSON body with a 400 — PostgreSQL text
cannot hold one and raises DataError for any query that carries it; and
`BoundedLimitOffsetPagination` keeps `?limit=` inside what a SQL LIMIT can hold.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery.result import EagerResult
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.views.defaults import bad_request
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.pagination import LimitOffsetPagination

log = logging.getLogger(__name__)

# Raised while the broker or the cache cannot be reached (refused, reset, timed out).
UNREACHABLE = (BrokerError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)

# Publishing gives up after about half a second (3 attempts) instead of Celery's
# default policy, so a page waits little before the inline fallback.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.3}

# Catalogue entries kept as plain str constants (gettext_noop); translated where they are shown.
INLINE_NOTICE = gettext_noop("任务队列（Redis）暂不可用：相关计算已在本次请求中直接完成，结果已保存。")

_local = threading.local()


@dataclass(frozen=True)
class Dispatch:
    """How a task was handed off: `inline` when the broker was down and it ran here."""

    result: Any
    inline: bool = False

    @property
    def ran_here(self) -> bool:
        """True when the result is already known (inline, or Celery's eager mode)."""
        return isinstance(self.result, EagerResult)


def enqueue_or_run_inline(
    task: Any,
    *,
    args: list | tuple = (),
    kwargs: dict | None = None,
    inline_kwargs: dict | None = None,
    swallow: bool = False,
    **options: Any,
) -> Dispatch:
    """Publish `task` (apply_async with `options`); run it here if the broker is unreachable.

    `inline_kwargs` are merged into `kwargs` for the inline run only (e.g. a
    trigger that says so). An exception of the inline run propagates, as in
    eager mode, unless `swallow` is set (on_commit callbacks: the data is
    committed and the failure is already recorded by the task, e.g. a failed
    ScoreRun); then it is logged and the Dispatch carries the failed result.
    """
    kwargs = dict(kwargs or {})
    # Nobody waits on these results; subscribing to one would first wait ~20 s for a dead
    # result backend and then raise RuntimeError (celery.backends.redis.ResultConsumer).
    options.setdefault("ignore_result", True)
    try:
        result = task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY, **options)
        return Dispatch(result)
    except UNREACHABLE as exc:
        log.warning("broker unreachable (%s): running %s inline", exc, task.name)
    note_degraded(INLINE_NOTICE)
    task_id = options.get("task_id")
    if not swallow:
        return Dispatch(
            task.apply(args=args, kwargs=kwargs | (inline_kwargs or {}), task_id=task_id, throw=True), True
        )
    result = task.apply(args=args, kwargs=kwargs | (inline_kwargs or {}), task_id=task_id, throw=False)
    if result.failed():
        log.error("inline run of %s failed: %r", task.name, result.result)
    return Dispatch(result, True)


def cache_call(fn: Callable[..., Any], *args: Any, default: Any = None, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` on the cache, or `default` when the cache cannot be reached."""
    try:
        return fn(*args, **kwargs)
    except UNREACHABLE as exc:
        log.warning("cache unreachable (%s): %s skipped", exc, getattr(fn, "__name__", fn))
        return default


def note_degraded(message: str) -> None:
    """Remember a notice for the current request (shown by InlineNoticeMiddleware)."""
    notices = getattr(_local, "notices", None)
    if notices is not None and message not in notices:
        notices.append(message)


class InlineNoticeMiddleware:
    """Shows the request's degraded-mode notices: a warning message and an X-QC-Degraded header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _local.notices = []
        try:
            response = self.get_response(request)
            if _local.notices:
                from django.contrib import messages

                if not request.path.startswith("/api/"):
                    for text in _local.notices:
                        messages.warning(request, gettext(text), fail_silently=True)
                response["X-QC-Degraded"] = "inline-tasks"
            return response
        finally:
            _local.notices = None


NUL_MESSAGE = gettext_noop("请求中含有不允许的空字符（NUL），已拒绝")


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    content_type = request.content_type or ""
    if content_type == "application/json":
        return b"\\u0000" in request.body
    if content_type == "application/x-www-form-urlencoded":
        return b"%00" in request.body
    if content_type == "multipart/form-data" and request.method == "POST":
        # Text fields only: uploaded files may contain any byte.
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    return False


class RejectNulBytesMiddleware:
    """A 400 for a NUL character in the path, query string or body (PostgreSQL would answer DataError)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            log.warning("refused a request with a NUL character: %s %r", request.method, request.path_info)
            # This runs before LocaleMiddleware: the reader's language is read here.
            with translation.override(translation.get_language_from_request(request)):
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": gettext(NUL_MESSAGE), "code": "invalid"}, status=400)
                return bad_request(request, SuspiciousOperation(gettext(NUL_MESSAGE)))
        return self.get_response(request)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pagination with a ceiling (DRF has none by default).

    `?limit=4404156938120190035408977920` reached PostgreSQL as an out-of-range
    LIMIT (DataError, a 500); a larger limit is now clamped to `max_limit`, like
    DRF clamps any limit above it. 10,000 is three times the national region list.
    """

    max_limit = 10_000
