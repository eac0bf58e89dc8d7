"""Static chart images for the PDF reports: plotly figures -> PNG through kaleido.

Kaleido 1.x drives a headless chromium (Debian's /usr/bin/chromium) over the
DevTools protocol. Starting chromium and loading plotly.js into its tab takes 2-3 s,
more than drawing all the charts of a report (about 0.3 s each), so a process keeps
one kaleido server (`ChartServer`, one browser) for its whole life: the first report
that needs charts starts it, every later report reuses it (a Celery worker process
pays the start once), and it is stopped when the interpreter exits (atexit). A
browser that died in between (killed, crashed, out of memory) is noticed and
replaced by the next report; a chart whose browser died while drawing it is drawn
again once in a new one.

The server runs kaleido's asyncio code on its own event-loop thread; a report
queues all its figures at once and WeasyPrint takes each PNG by name
(`ChartImages`) when it builds the chart's box, so the browser draws while the PDF
engine parses the HTML and applies the CSS. `chart_session()` holds a lock, so
reports rendering in threads of one process take turns on the browser, and a
restart never pulls the browser from under another report.

Nothing is fetched from the internet: plotly.js comes from the installed plotly
package and MathJax is switched off.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import copy
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import kaleido
import plotly.graph_objects as go
from kaleido.errors import JavascriptError, KaleidoError

from reports.errors import ReportError

log = logging.getLogger(__name__)

_lock = threading.Lock()

# The dashboards build figures as plain dicts in plotly's JSON schema (faster than
# graph_objects); a go.Figure is accepted too.
FigureLike = dict[str, Any] | go.Figure

# Seconds: chromium start (a busy 2-core machine takes up to ~10 s), one chart
# (kaleido's own timeout, plus a margin for the wait here), closing the browser.
START_TIMEOUT = 60
RENDER_TIMEOUT = 90
STOP_TIMEOUT = 15


def as_dict(fig: FigureLike) -> dict[str, Any]:
    if isinstance(fig, go.Figure):
        return fig.to_plotly_json()
    return copy.deepcopy(fig)


def layout_height(fig: FigureLike, default: int = 400) -> int:
    layout = fig.layout if isinstance(fig, go.Figure) else fig.get("layout", {})
    height = layout.height if isinstance(fig, go.Figure) else layout.get("height")
    return int(height or default)


CHART_FAILED = "图表渲染失败（服务器需安装 Chromium 浏览器，Debian：apt-get install chromium）：{error}"
# plotly.js refused a figure: the browser works, so installing it is not the advice.
CHART_REFUSED = (
    "图表渲染失败：图表数据无法绘制（图表库拒绝了该图表，浏览器工作正常），请联系系统管理员：{error}"
)


def _chart_error(exc: BaseException, *, refused: bool = False) -> ReportError:
    message = CHART_REFUSED if refused else CHART_FAILED
    return ReportError(message.format(error=f"{type(exc).__name__}: {exc}"))


# Kaleido reloads its tab after every image: plotly.js (4.6 MB) is parsed and run
# again, about half the time of a chart (0.15 of 0.3 s on a quiet machine, 0.25 of
# 0.4 s on a busy one). A PNG leaves nothing behind in the page (Plotly.toImage draws
# in a detached div and purges it), so the report server reloads only every
# RELOAD_EVERY images, to bound what a long-lived tab accumulates.
RELOAD_EVERY = 50


class _ReportKaleido(kaleido.Kaleido):
    """Kaleido whose tab is reloaded every RELOAD_EVERY images instead of after each.

    Overrides a private hook of kaleido 1.x (`_return_kaleido_tab`). Should a later
    kaleido drop it, this method is simply never called and every image reloads the
    tab again: slower, still correct.
    """

    _since_reload = 0

    async def _return_kaleido_tab(self, tab: Any) -> None:
        self._since_reload += 1
        if self._since_reload >= RELOAD_EVERY:
            self._since_reload = 0
            await super()._return_kaleido_tab(tab)
        else:
            await self.tabs_ready.put(tab)


class ChartServer:
    """One kaleido server (one headless chromium) on an event-loop thread of this process.

    Not thread-safe by itself: start, stop and restart under `_lock` (chart_session does).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: _ReportKaleido | None = None
        self._starting: concurrent.futures.Future | None = None  # the browser booting
        self._owner_pid: int | None = None
        self.starts = 0  # browsers started by this process: tests read it
        self._atexit_registered = False

    @property
    def browser_pid(self) -> int | None:
        """The chromium process, while it runs (tests kill it to show the restart)."""
        return self._kaleido.subprocess.pid if self.is_running() else None

    def is_running(self) -> bool:
        if self._kaleido is None or self._owner_pid != os.getpid():
            return False
        process = getattr(self._kaleido, "subprocess", None)
        return process is not None and process.poll() is None

    def wait_exited(self, timeout: float = 2) -> bool:
        """Whether the browser has exited, waiting up to `timeout` s for a dying one.

        choreographer's watchdog thread sits in a blocking wait() on the process, and
        Popen.poll() answers "running" while another thread waits; so after a failed
        chart, give the exit a moment to be noticed instead of trusting one poll.
        """
        if self._kaleido is None or self._owner_pid != os.getpid():
            return True
        try:
            self._kaleido.subprocess.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def start(self) -> None:
        """Begin starting the browser and return at once; no-op while it runs or starts.

        A browser that died is replaced. The first report of a process does its other
        work (building figures, importing WeasyPrint) while chromium boots (2-3 s).
        """
        if self._owner_pid == os.getpid() and (self._starting is not None or self.is_running()):
            return
        self.stop()  # a dead browser: remove its temporary directories, end its loop thread
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido-server", daemon=True)
        thread.start()
        self._loop, self._thread, self._owner_pid = loop, thread, os.getpid()
        self._starting = asyncio.run_coroutine_threadsafe(self._open(), loop)

    def ensure_started(self) -> None:
        """Start the browser if needed and wait until it can draw."""
        self.start()
        self._finish_start()

    def _finish_start(self) -> None:
        starting, self._starting = self._starting, None
        if starting is None:
            return
        try:
            self._kaleido = starting.result(timeout=START_TIMEOUT)
        except BaseException:
            starting.cancel()
            self._discard()
            raise
        self.starts += 1
        if not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True
        log.info("kaleido server started (chromium pid %s)", self.browser_pid)

    @staticmethod
    async def _open() -> _ReportKaleido:
        browser = _ReportKaleido(n=1, mathjax=False, timeout=RENDER_TIMEOUT)
        await browser.open()
        return browser

    def submit(self, spec: dict[str, Any], opts: dict[str, Any]) -> concurrent.futures.Future:
        """Queue one figure; the future gives its bytes. Figures are drawn in submission order."""
        self._finish_start()  # a browser still booting: wait for it
        if self._loop is None or self._kaleido is None:
            raise RuntimeError("the chart server is not started")
        return asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(spec, opts=opts), self._loop)

    def stop(self) -> None:
        """Close the browser and the loop thread (atexit, tests); safe to call twice."""
        if self._starting is not None and self._owner_pid == os.getpid():
            try:
                self._finish_start()  # close what is booting rather than orphan it
            except Exception:
                log.warning("kaleido server failed to start", exc_info=True)
        if self._owner_pid == os.getpid() and self._loop is not None and self._kaleido is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._kaleido.close(), self._loop).result(
                    timeout=STOP_TIMEOUT
                )
            except Exception:  # a dead or hung browser must not block the exit
                log.warning("kaleido server did not close cleanly", exc_info=True)
                process = getattr(self._kaleido, "subprocess", None)
                if process is not None and process.poll() is None:
                    process.kill()
        self._discard()

    def _stop_at_exit(self) -> None:
        # At exit the log streams may be closed already (pytest's capture) and the
        # browser's shutdown chatter (choreographer logs each step at INFO) would
        # print "--- Logging error ---" tracebacks: keep warnings only from here on.
        logging.disable(logging.INFO)
        self.stop()

    def _discard(self) -> None:
        """Forget the browser and stop the loop thread. In a forked child the parent's
        browser and thread are not ours: drop the references only."""
        loop, thread, ours = self._loop, self._thread, self._owner_pid == os.getpid()
        self._loop = self._thread = self._kaleido = self._starting = None
        self._owner_pid = None
        if loop is not None and ours:
            try:
                asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(timeout=STOP_TIMEOUT)
            except Exception:  # a loop that does not answer is left to die with the process
                log.warning("kaleido loop did not stop cleanly", exc_info=True)
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=STOP_TIMEOUT)
            if not loop.is_running():
                loop.close()


async def _cancel_pending() -> None:
    """Cancel what is left on the loop (choreographer's watchdog of a dead browser)."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


_server = ChartServer()


def chart_server() -> ChartServer:
    """The process's chart server (tests inspect and kill its browser)."""
    return _server


class ChartRenderer:
    """Renders the figures of one report through the process's server; counts them."""

    def __init__(self, font_family: str, server: ChartServer) -> None:
        self.font_family = font_family
        self.server = server
        self.count = 0

    def _spec(self, fig: FigureLike, width: int, height: int) -> dict[str, Any]:
        spec = as_dict(fig)  # a copy: the builder's figure stays as the dashboards get it
        layout = spec.setdefault("layout", {})
        layout["font"] = {**(layout.get("font") or {}), "family": f"{self.font_family}, sans-serif"}
        layout.update(paper_bgcolor="white", width=width, height=height)
        return spec

    def png_many(self, figures: list[tuple[FigureLike, int, int]], *, scale: float = 2) -> Iterator[bytes]:
        """PNG bytes of (figure, width, height) in order, yielded as each is drawn.

        All figures are queued before this returns, so the browser draws while the
        caller does other work. A browser that died is replaced and the figures
        not drawn yet are queued again, once.
        """
        jobs = [
            (
                self._spec(fig, width, height),
                {"format": "png", "width": width, "height": height, "scale": scale},
            )
            for fig, width, height in figures
        ]
        try:
            futures = [self.server.submit(spec, opts) for spec, opts in jobs]
        except Exception as exc:  # the browser did not start (missing, crashed at once, timeout)
            self.server.stop()
            raise _chart_error(exc) from exc
        return self._collect(jobs, futures)

    def _collect(
        self, jobs: list[tuple[dict, dict]], futures: list[concurrent.futures.Future]
    ) -> Iterator[bytes]:
        restarted = False
        index = 0
        while index < len(jobs):
            try:
                data = futures[index].result(timeout=RENDER_TIMEOUT + 10)
            except (KaleidoError, JavascriptError) as exc:
                # plotly.js refused the figure: the browser is fine and stays for the next report.
                self._cancel(futures[index:])
                raise _chart_error(exc, refused=True) from exc
            except Exception as exc:  # chromium died or was killed, or hangs (timeout)
                self._cancel(futures[index:])
                died = self.server.wait_exited()
                self.server.stop()  # a hung browser must not serve the next report either
                if not died or restarted:
                    raise _chart_error(exc) from exc
                log.warning(
                    "chromium died while drawing a chart (%s: %s); starting a new one",
                    type(exc).__name__,
                    exc,
                )
                restarted = True
                try:
                    self.server.ensure_started()
                except Exception as start_exc:
                    raise _chart_error(start_exc) from start_exc
                futures[index:] = [self.server.submit(spec, opts) for spec, opts in jobs[index:]]
                continue
            self.count += 1
            index += 1
            yield data

    @staticmethod
    def _cancel(futures: list[concurrent.futures.Future]) -> None:
        for future in futures:
            future.cancel()

    def png(self, fig: FigureLike, *, width: int = 900, height: int = 420, scale: float = 2) -> bytes:
        return next(iter(self.png_many([(fig, width, height)], scale=scale)))


class ChartImages:
    """The PNGs of one report's charts, taken in order as the browser draws them.

    The report's HTML names chart N `report-chart:N`; the PDF's URL fetcher asks
    `resolve()` for it, which waits until that chart is drawn. A fetcher knows the
    charts of its own report only, and nothing but these names (and data: URIs)
    is ever fetched. The names are the same in every report, so identical inputs
    still give byte-identical PDFs (WeasyPrint names an image after its URL).
    """

    SCHEME = "report-chart"

    def __init__(self, drawn: Iterator[bytes], count: int, on_drawn: Callable[[int], None]) -> None:
        self.count = count
        self._drawn = drawn
        self._on_drawn = on_drawn
        self._pngs: list[bytes] = []

    def uri(self, number: int) -> str:
        return f"{self.SCHEME}:{number}"

    def png(self, number: int) -> bytes:
        """Chart `number` (1-based), waiting for the browser to draw it."""
        while len(self._pngs) < number:
            self._pngs.append(next(self._drawn))
            self._on_drawn(len(self._pngs))
        return self._pngs[number - 1]

    def resolve(self, url: str) -> bytes | None:
        """The PNG a URL of this report names, or None for any other URL."""
        prefix = f"{self.SCHEME}:"
        if not url.startswith(prefix):
            return None
        number = url.removeprefix(prefix)
        if not number.isdigit() or not 1 <= int(number) <= self.count:
            return None
        return self.png(int(number))

    def finish(self) -> None:
        """Take every chart still being drawn (their errors are raised here)."""
        if self.count:
            self.png(self.count)


@contextmanager
def chart_session(font_family: str) -> Iterator[ChartRenderer]:
    """The process's kaleido server, started if needed, for the charts of one report."""
    with _lock:
        try:
            _server.start()  # boots while the caller builds its figures; the first chart waits
        except Exception as exc:
            raise _chart_error(exc) from exc
        yield ChartRenderer(font_family, _server)
