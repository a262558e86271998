"""The clients: what an anonymous visitor's browser does per report, and the pool that submits them all."""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from http.cookies import SimpleCookie

from common import HOST, console
from payloads import FilePool, multipart, report_fields
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
_RECEIPT = re.compile(
    r'class="receipt-code"[^>]*>\s*<code>([0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3})</code>'
)


@dataclass
class Outcome:
    ok: bool
    post_seconds: float = 0.0
    get_seconds: float = 0.0
    problem: str = ""


class Submitter:
    """What one anonymous visitor's browser does: open the form, send the report, read the receipt."""

    def __init__(self, port: int, form_path: str, pool: FilePool, seed: int, timeout: int) -> None:
        self.port = port
        self.form_path = form_path
        self.pool = pool
        self.seed = seed
        self.timeout = timeout
        self.origin = f"http://{HOST}:{port}"
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _request(
        self, method: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, list[str]]:
        connection = self._connection()
        try:
            connection.request(method, self.form_path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            # Next request starts a new connection; the caller counts this one as failed.
            connection.close()
            self._local.connection = None
            raise
        return response.status, content, response.headers.get_all("Set-Cookie") or []

    def submit(self, number: int) -> Outcome:
        rng = random.Random(f"{self.seed}:{number}")  # noqa: S311 - reproducible test data
        browser = {"User-Agent": "ZorgVeiligBench/1.0", "Accept-Language": "nl-NL,nl;q=0.9"}
        started = time.perf_counter()
        try:
            status, page, cookies = self._request("GET", None, browser)
        except (OSError, http.client.HTTPException) as error:
            return Outcome(False, problem=f"GET form: {type(error).__name__}: {error}")
        get_seconds = time.perf_counter() - started
        token = _CSRF_INPUT.search(page)
        jar = SimpleCookie()
        for header in cookies:
            jar.load(header)
        if status != 200 or token is None or "csrftoken" not in jar:
            return Outcome(False, get_seconds=get_seconds, problem=f"GET form: HTTP {status}, no CSRF token")
        fields = [("csrfmiddlewaretoken", token.group(1)), *report_fields(number, rng)]
        body, content_type = multipart(fields, self.pool.files_for(rng))
        headers = {
            **browser,
            "Content-Type": content_type,
            "Cookie": f"csrftoken={jar['csrftoken'].value}",
            "Origin": self.origin,
            "Referer": self.origin + self.form_path,
        }
        started = time.perf_counter()
        try:
            status, page, _cookies = self._request("POST", body, headers)
        except (OSError, http.client.HTTPException) as error:
            return Outcome(False, get_seconds=get_seconds, problem=f"POST: {type(error).__name__}: {error}")
        post_seconds = time.perf_counter() - started
        if status != 200:
            return Outcome(False, post_seconds, get_seconds, f"POST: HTTP {status}")
        if _RECEIPT.search(page) is None:
            return Outcome(False, post_seconds, get_seconds, "POST: HTTP 200 without a receipt code")
        return Outcome(True, post_seconds, get_seconds)


def submit_all(
    submitter: Submitter, reports: int, concurrency: int, label: str
) -> tuple[float, list[Outcome]]:
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client")
    pending: set[Future[Outcome]] = set()
    numbers = iter(range(reports))
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} reports/s, {task.fields[errors]} errors"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=reports, rate=0.0, errors=0)
        started = time.perf_counter()
        try:
            # Never more in flight than there are clients, so a Ctrl-C leaves no queue behind.
            for number in numbers:
                pending.add(pool.submit(submitter.submit, number))
                if len(pending) >= concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    outcomes += [future.result() for future in done]
                    progress.update(
                        task,
                        completed=len(outcomes),
                        rate=len(outcomes) / (time.perf_counter() - started),
                        errors=sum(not outcome.ok for outcome in outcomes),
                    )
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                outcomes += [future.result() for future in done]
                progress.update(
                    task,
                    completed=len(outcomes),
                    rate=len(outcomes) / (time.perf_counter() - started),
                    errors=sum(not outcome.ok for outcome in outcomes),
                )
            wall = time.perf_counter() - started
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return wall, outcomes
