"""State-change notifications to a video's `callbackUrl`, as Video Indexer sends them:
a POST to the URL with `id` and `state` added to its query string, no body.

Sent from a small thread pool so a slow or dead receiver never holds up indexing;
notifications of one video go out in order (a receiver must never see Processed
before Processing). A few retries cover a receiver that is restarting; after that the
notification is dropped and logged -- the state is always available by polling.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

log = logging.getLogger("videolabels.service.callbacks")


def callback_target(url: str, video_id: str, state: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("id", "state")]
    query += [("id", video_id), ("state", state)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def valid_callback_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Notifier:
    def __init__(self, timeout: float = 10.0, retries: int = 3, backoff: float = 1.0) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="videolabels-callback")
        self._last: dict[str, Future] = {}
        self._lock = threading.Lock()

    def notify(self, url: str | None, video_id: str, state: str) -> None:
        if not url:
            return
        target = callback_target(url, video_id, state)
        with self._lock:
            before = self._last.get(video_id)
            future = self._pool.submit(self._send, target, before)
            self._last[video_id] = future
            future.add_done_callback(lambda f, v=video_id: self._forget(v, f))

    def _forget(self, video_id: str, future: Future) -> None:
        with self._lock:
            if self._last.get(video_id) is future:
                del self._last[video_id]

    def _send(self, target: str, before: Future | None) -> None:
        if before is not None:  # submitted earlier, so already running or done: no deadlock
            try:
                before.result()
            except Exception:
                pass
        for attempt in range(self.retries):
            try:
                request = urllib.request.Request(target, data=b"", method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read(1024)
                return
            except urllib.error.HTTPError as e:
                if e.code < 500:
                    log.warning("callback %s answered %s; not retried", target, e.code)
                    return
                reason = f"HTTP {e.code}"
            except (OSError, ValueError) as e:
                reason = str(e)
            if attempt + 1 < self.retries:
                time.sleep(self.backoff * (2**attempt))
        log.warning("callback %s failed after %d attempts: %s", target, self.retries, reason)

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
