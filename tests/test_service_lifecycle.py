"""The server across its life: `videolabels serve` as a real process, killed in the
middle of indexing and started again; key generation; token expiry."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from service_helpers import (
    API_KEY,
    BACKENDS,
    DATA,
    SERVE_COMMAND,
    Api,
    CallbackReceiver,
    LiveServer,
    database,
    subprocess_env,
)

from videolabels.service import Settings


class ServeProcess:
    """`videolabels serve --port 0`, reading the URL (and any generated key) it prints."""

    def __init__(self, data_dir: Path, log: Path, **env: str) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [*SERVE_COMMAND, "--data-dir", str(data_dir), "--workers", "1"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=subprocess_env(**env),
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
            self.lines.append(line)
            if m := re.search(r"serving on (http://\S+)", line):
                self.url = m.group(1)
                break
            assert time.monotonic() < deadline
        pairs = zip(self.lines, self.lines[1:])
        self.generated_key = next((line.strip() for prev, line in pairs if "generated" in prev), None)

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown handlers, like a crash or OOM kill
        self.proc.wait(30)
        self.log.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        finally:
            self.log.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_killed_mid_indexing_resumes_after_restart(backend: str, tmp_path: Path) -> None:
    account = "restarts"
    receiver = CallbackReceiver()
    with database(backend) as url:
        # The default 30 s lease: a restarted server must not wait for it to run out,
        # it knows the killed process (same host, pid gone) is dead.
        env = {"VIDEOLABELS_JOB_POLL_SECONDS": "0.2"}
        if url:
            env["VIDEOLABELS_DATABASE_URL"] = url
        # Five samples a second make the first run's job long enough to be killed in the middle.
        first = ServeProcess(tmp_path / "data", tmp_path / "serve.log", **env, VIDEOLABELS_FPS="5")
        try:
            assert first.generated_key, first.lines  # no VIDEOLABELS_API_KEY: one is made and shown
            api = Api(first.url, key=first.generated_key)
            running = api.upload(account, DATA / "bikes.mp4", callbackUrl=receiver.url).json()["id"]
            waiting = api.upload(account, DATA / "realshort.mp4", callbackUrl=receiver.url).json()["id"]
            api.wait(account, running, timeout=60, states=("Processing",))
            assert api.index(account, waiting)["state"] == "Uploaded"  # one worker: still queued
        finally:
            first.kill()
        api.close()

        second = ServeProcess(tmp_path / "data", tmp_path / "serve.log", **env)
        try:
            assert second.generated_key is None  # shown once only
            api = Api(second.url, key=first.generated_key)  # same key, kept in the data dir
            for video_id in (running, waiting):
                doc = api.wait(account, video_id, timeout=25)
                assert doc["state"] == "Processed", doc["videos"][0]
                assert doc["videos"][0]["insights"]["labels"]
            receiver.wait_for(
                lambda: "Processed" in receiver.states(running) and "Processed" in receiver.states(waiting)
            )
            # The resumed job does not announce Processing twice.
            assert receiver.states(running) == ["Processing", "Processed"]
            assert receiver.states(waiting) == ["Processing", "Processed"]
            api.close()
        finally:
            second.stop()
            receiver.stop()


def test_access_tokens_expire(tmp_path: Path) -> None:
    now = [1_900_000_000.0]
    settings = Settings(data_dir=tmp_path, api_key=f"{API_KEY},second-key", workers=0, token_ttl_seconds=3600)
    server = LiveServer(settings, clock=lambda: now[0])
    api = Api(server.url)
    try:
        token = api.token("acc")
        assert api.call("GET", "acc", "/Videos").status_code == 200
        now[0] += 3599
        assert api.call("GET", "acc", "/Videos").status_code == 200
        now[0] += 1
        r = api.call("GET", "acc", "/Videos", params={"accessToken": token})
        assert r.status_code == 401 and r.json()["ErrorType"] == "UNAUTHORIZED" and "expired" in r.json()["Message"]
        # A fresh one works; so does the second configured key (key rotation).
        assert Api(server.url, key="second-key").call("GET", "acc", "/Videos").status_code == 200
        assert not (tmp_path / "api_key").exists()  # configured keys are not written down
    finally:
        api.close()
        server.stop()


def test_serve_refuses_bad_settings(tmp_path: Path) -> None:
    r = subprocess.run(
        [*SERVE_COMMAND, "--data-dir", str(tmp_path), "--workers", "-1"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert r.returncode == 2 and "workers" in r.stderr and "Traceback" not in r.stderr


class EndlessIndexer:
    """Indexes forever, reporting progress, until the job is interrupted (the server
    stops, or the video is deleted): what a very long video looks like to a worker."""

    def index(self, path, options, progress=None, name=None, video_id=None):  # type: ignore[no-untyped-def]
        done = 0.0
        while True:
            progress(done, 600.0)
            done = min(done + 1, 599.0)
            time.sleep(0.02)


def job_rows(data_dir: Path) -> list[tuple[str, str, int]]:
    import sqlite3

    with sqlite3.connect(data_dir / "videolabels.db") as conn:
        return conn.execute("SELECT video_id, state, attempts FROM jobs ORDER BY id").fetchall()


def test_stopping_hands_the_job_back_and_the_next_start_finishes_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key=API_KEY, workers=1, job_poll_seconds=0.2)
    server = LiveServer(settings, indexer_factory=EndlessIndexer)
    api = Api(server.url)
    try:
        video_id = api.upload("acc", DATA / "realshort.mp4").json()["id"]
        api.wait("acc", video_id, states=("Processing",))
        deadline = time.monotonic() + 10
        while (progress := api.index("acc", video_id)["videos"][0]["processingProgress"]) == "0%":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert 0 < int(progress.rstrip("%")) < 100
        listed = api.call("GET", "acc", "/Videos").json()["results"][0]
        assert listed["state"] == "Processing" and listed["processingProgress"].endswith("%")
    finally:
        api.close()
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 10
    assert job_rows(tmp_path) == [(video_id, "queued", 0)]  # released, the attempt not counted

    server = LiveServer(settings)  # the real indexer this time
    api = Api(server.url)
    try:
        assert api.wait("acc", video_id, timeout=30)["state"] == "Processed"
        assert job_rows(tmp_path) == [(video_id, "done", 1)]
    finally:
        api.close()
        server.stop()


def test_deleting_a_video_while_it_is_indexed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key=API_KEY, workers=1, job_poll_seconds=0.2, job_lease_seconds=1.5)
    server = LiveServer(settings, indexer_factory=EndlessIndexer)
    api = Api(server.url)
    try:
        first = api.upload("acc", DATA / "realshort.mp4").json()["id"]
        second = api.upload("acc", DATA / "realshort.mp4").json()["id"]
        api.wait("acc", first, states=("Processing",))
        assert api.call("DELETE", "acc", f"/Videos/{first}").status_code == 204
        # The worker notices, drops the job and moves on to the next video.
        api.wait("acc", second, timeout=20, states=("Processing",))
        assert not (tmp_path / "media" / first).exists() and not (tmp_path / "thumbnails" / first).exists()
        assert [row[0] for row in job_rows(tmp_path)] == [second]
    finally:
        api.close()
        server.stop()


def test_videos_left_without_a_job_are_queued_again_on_start(tmp_path: Path) -> None:
    """Nothing uploaded is lost, even when its job is (e.g. an external queue dropped it)."""
    import sqlite3

    settings = Settings(data_dir=tmp_path, api_key=API_KEY, workers=0)
    server = LiveServer(settings)
    api = Api(server.url)
    try:
        video_id = api.upload("acc", DATA / "realshort.mp4").json()["id"]
    finally:
        api.close()
        server.stop()
    with sqlite3.connect(tmp_path / "videolabels.db") as conn:
        conn.execute("UPDATE jobs SET state = 'cancelled'")
        conn.execute("UPDATE videos SET state = 'Processing', processing_progress = 40")

    server = LiveServer(settings.model_copy(update={"workers": 1, "job_poll_seconds": 0.2}))
    api = Api(server.url)
    try:
        assert api.wait("acc", video_id, timeout=30)["state"] == "Processed"
    finally:
        api.close()
        server.stop()
