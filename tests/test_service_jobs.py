"""The database-backed job queue on its own, on each backend: exclusive claims under
concurrency, leases that expire and are taken over, release and cancel; and the
migrations matching the models."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime

import pytest
from service_helpers import BACKENDS, database

from videolabels.service.db import make_engine, make_sessionmaker, migrate, transaction
from videolabels.service.jobs import DbJobQueue
from videolabels.service.models import Video

LEASE = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module", params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    with database(request.param) as url:
        url = url or f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'jobs.db'}"
        engine = make_engine(url)
        migrate(engine)
        migrate(engine)  # idempotent: every start runs it
        yield make_sessionmaker(engine)
        engine.dispose()


def add_videos(sessions, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    ids = [uuid.uuid4().hex[:10] for _ in range(n)]
    now = datetime.now(UTC)
    with transaction(sessions) as s:
        for video_id in ids:
            s.add(
                Video(
                    id=video_id,
                    account_id="acc",
                    name=video_id,
                    privacy_mode="Private",
                    language="en-US",
                    state="Uploaded",
                    processing_progress=0,
                    failure_code="None",
                    failure_message="",
                    file_name="x.mp4",
                    media_file="media/x.mp4",
                    size_bytes=1,
                    created=now,
                    last_modified=now,
                )
            )
    return ids


def drain(queue: DbJobQueue, worker: str) -> list:  # type: ignore[type-arg]
    out = []
    while (job := queue.claim(worker)) is not None:
        out.append(job)
    return out


def test_claims_are_exclusive_under_concurrency(sessions) -> None:  # type: ignore[no-untyped-def]
    queue = DbJobQueue(sessions, LEASE)
    drain(queue, "cleanup")
    ids = add_videos(sessions, 24)
    for video_id in ids:
        queue.submit(video_id, "acc")
    claimed: list[list] = [[] for _ in range(4)]  # type: ignore[type-arg]
    threads = [threading.Thread(target=lambda i=i: claimed[i].extend(drain(queue, f"w{i}"))) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    got = [job.video_id for jobs in claimed for job in jobs]
    assert sorted(got) == sorted(ids)  # each exactly once
    for jobs in claimed:
        for job in jobs:
            assert queue.complete(job)
    assert not any(queue.pending(v) for v in ids)


def test_expired_lease_is_taken_over(sessions) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    queue = DbJobQueue(sessions, LEASE, clock)
    drain(queue, "cleanup")
    (video_id,) = add_videos(sessions, 1)
    queue.submit(video_id, "acc")
    first = queue.claim("dead-worker")
    assert first is not None and first.attempts == 1
    assert queue.claim("other") is None  # leased
    clock.now += LEASE / 2
    assert queue.heartbeat(first)
    clock.now += LEASE - 1
    assert queue.claim("other") is None  # the heartbeat renewed the lease
    clock.now += 2
    second = queue.claim("other")  # the first worker went quiet: its process died
    assert second is not None and second.id == first.id and second.attempts == 2
    assert not queue.heartbeat(first) and not queue.complete(first)  # the old worker lost it
    assert queue.complete(second)
    assert not queue.pending(video_id)


def test_release_and_cancel(sessions) -> None:  # type: ignore[no-untyped-def]
    queue = DbJobQueue(sessions, LEASE)
    drain(queue, "cleanup")
    a, b = add_videos(sessions, 2)
    queue.submit(a, "acc")
    job = queue.claim("w")
    assert job is not None
    queue.release(job)  # shutdown: back in the queue at once, the attempt not counted
    again = queue.claim("w2")
    assert again is not None and again.id == job.id and again.attempts == 1
    queue.fail(again, "boom")
    assert not queue.pending(a)

    queue.submit(b, "acc")
    running = queue.claim("w")
    assert running is not None
    queue.cancel(b)
    assert not queue.heartbeat(running)  # the worker learns it lost the job
    assert queue.claim("w") is None


def test_migrations_match_the_models(sessions) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from videolabels.service.models import Base

    with sessions() as s:
        conn = s.connection()
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_jobs_of_dead_workers_are_released_at_once(sessions) -> None:  # type: ignore[no-untyped-def]
    from videolabels.service.jobs import WorkerPool

    queue = DbJobQueue(sessions, LEASE)
    drain(queue, "cleanup")
    pool = WorkerPool(queue, lambda: None, 0, LEASE, 1.0)  # type: ignore[arg-type,return-value]
    dead = subprocess_pid_that_exited()
    a, b, c = add_videos(sessions, 3)
    for video_id in (a, b, c):
        queue.submit(video_id, "acc")
    workers = {
        a: f"{pool.host}:{dead}:0123abcd:w0",  # this host, process gone
        b: f"{pool.host}:{os.getpid()}:0123abcd:w0",  # an earlier run with this pid (a container's pid 1)
        c: f"elsewhere:{dead}:0123abcd:w0",  # another host: only its lease can tell
    }
    claimed = {}
    for video_id in (a, b, c):
        job = queue.claim(workers[video_id])
        assert job is not None
        claimed[job.video_id] = job
    assert pool.is_dead(workers[a]) and pool.is_dead(workers[b]) and not pool.is_dead(workers[c])
    assert not pool.is_dead(pool.instance + ":w0")
    assert queue.release_dead(pool.is_dead) == 2
    again = drain(queue, "new")
    assert sorted(j.video_id for j in again) == sorted([claimed[a].video_id, claimed[b].video_id])
    assert all(j.attempts == 2 for j in again)  # a crash counts as an attempt


def subprocess_pid_that_exited() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
