"""Indexing jobs: the hand-off between the HTTP side and the indexing workers.

`JobQueue` is the whole contract (submit / claim / heartbeat / complete / fail /
release), so an external queue can replace `DbJobQueue` without touching the routes
or the workers. `DbJobQueue` keeps jobs in the service database, which is what makes
them survive a crash:

- a claimed job carries a lease that its worker renews every few seconds; a job whose
  lease ran out (its process was killed) is claimable again, by this server after a
  restart or by any other server sharing the database;
- claiming is one conditional UPDATE, so two workers -- threads or processes, SQLite
  or PostgreSQL -- never both get a job;
- a job is attempted at most `max_attempts` times, so a video that kills the process
  cannot crash-loop the server.

`WorkerPool` runs N threads, each with its own handler (and so its own `Indexer`:
recognizers are not thread-safe), plus one thread renewing the leases.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from .db import transaction
from .models import Job

log = logging.getLogger("videolabels.service.jobs")

Clock = Callable[[], float]


@dataclass
class ClaimedJob:
    id: str
    video_id: str
    account_id: str
    attempts: int
    worker: str
    #: Set when the job was taken away (deleted with its video, or its lease lost).
    lost: threading.Event = field(default_factory=threading.Event)


class JobQueue(Protocol):
    def submit(self, video_id: str, account_id: str, session: Session | None = None) -> None:
        """Queues indexing of a video. With `session`, inside the caller's transaction
        (so a video row never exists without its job); an external queue may ignore it
        and rely on `Service.recover` at start."""

    def pending(self, video_id: str, session: Session | None = None) -> bool:
        """Whether the video has a job queued or running."""

    def claim(self, worker: str) -> ClaimedJob | None:
        """Takes the oldest available job, or returns None at once."""

    def heartbeat(self, job: ClaimedJob) -> bool:
        """Renews the lease; False if the job is no longer this worker's."""

    def complete(self, job: ClaimedJob) -> bool: ...

    def fail(self, job: ClaimedJob, error: str) -> bool: ...

    def release(self, job: ClaimedJob) -> None:
        """Gives a job back unfinished (shutdown), to be claimed again at once."""

    def cancel(self, video_id: str, session: Session | None = None) -> None:
        """Drops the video's queued or running jobs (the video is being deleted)."""

    def wait(self, timeout: float) -> None:
        """Blocks until a job may be available, or for `timeout` seconds."""

    def wake(self) -> None: ...


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class DbJobQueue:
    ACTIVE = ("queued", "running")

    def __init__(self, sessions: sessionmaker[Session], lease_seconds: float, clock: Clock = time.time) -> None:
        self.sessions = sessions
        self.lease = lease_seconds
        self.clock = clock
        self._cond = threading.Condition()
        self._signalled = False

    # -- producer side ----------------------------------------------------------
    def submit(self, video_id: str, account_id: str, session: Session | None = None) -> None:
        job = Job(video_id=video_id, account_id=account_id, state="queued", attempts=0, created_at=_utc(self.clock()))
        if session is not None:
            session.add(job)
        else:
            with transaction(self.sessions) as s:
                s.add(job)
        self.wake()

    def pending(self, video_id: str, session: Session | None = None) -> bool:
        stmt = select(Job.id).where(Job.video_id == video_id, Job.state.in_(self.ACTIVE)).limit(1)
        if session is not None:
            return session.scalar(stmt) is not None
        with self.sessions() as s:
            return s.scalar(stmt) is not None

    def cancel(self, video_id: str, session: Session | None = None) -> None:
        stmt = (
            update(Job)
            .where(Job.video_id == video_id, Job.state.in_(self.ACTIVE))
            .values(state="cancelled", finished_at=_utc(self.clock()), worker=None)
        )
        if session is not None:
            session.execute(stmt)
        else:
            with transaction(self.sessions) as s:
                s.execute(stmt)

    # -- worker side ------------------------------------------------------------
    def _claimable(self, now: float):  # type: ignore[no-untyped-def]
        stale = _utc(now - self.lease)
        return or_(Job.state == "queued", and_(Job.state == "running", Job.heartbeat_at < stale))

    def claim(self, worker: str) -> ClaimedJob | None:
        now = self.clock()
        with transaction(self.sessions) as s:
            ids = s.scalars(select(Job.id).where(self._claimable(now)).order_by(Job.id).limit(8)).all()
            for job_id in ids:
                result = s.execute(
                    update(Job)
                    .where(Job.id == job_id, self._claimable(now))
                    .values(
                        state="running",
                        worker=worker,
                        attempts=Job.attempts + 1,
                        heartbeat_at=_utc(now),
                        started_at=_utc(now),
                    )
                )
                if result.rowcount == 1:
                    job = s.get(Job, job_id)
                    assert job is not None
                    s.refresh(job)
                    return ClaimedJob(str(job.id), job.video_id, job.account_id, job.attempts, worker)
        return None

    def _finish(self, job: ClaimedJob, **values: object) -> bool:
        with transaction(self.sessions) as s:
            result = s.execute(
                update(Job)
                .where(Job.id == int(job.id), Job.worker == job.worker, Job.state == "running")
                .values(**values)
            )
            return result.rowcount == 1

    def heartbeat(self, job: ClaimedJob) -> bool:
        return self._finish(job, heartbeat_at=_utc(self.clock()))

    def complete(self, job: ClaimedJob) -> bool:
        return self._finish(job, state="done", finished_at=_utc(self.clock()))

    def fail(self, job: ClaimedJob, error: str) -> bool:
        return self._finish(job, state="failed", finished_at=_utc(self.clock()), error=error[:4000])

    def release(self, job: ClaimedJob) -> None:
        self._finish(job, state="queued", worker=None, heartbeat_at=None, attempts=Job.attempts - 1)
        self.wake()

    def release_dead(self, is_dead: Callable[[str], bool]) -> int:
        """Puts back running jobs whose worker is known dead (`is_dead(worker)`), so a
        restarted server resumes them at once instead of after the lease. The attempt
        still counts: a video that crashes the server must not loop forever."""
        released = 0
        with transaction(self.sessions) as s:
            for job in s.scalars(select(Job).where(Job.state == "running")):
                if job.worker and is_dead(job.worker):
                    job.state, job.worker, job.heartbeat_at = "queued", None, None
                    released += 1
        if released:
            self.wake()
        return released

    # -- wake-ups ------------------------------------------------------------------
    def wait(self, timeout: float) -> None:
        with self._cond:
            if not self._signalled:
                self._cond.wait(timeout)
            self._signalled = False

    def wake(self) -> None:
        with self._cond:
            self._signalled = True
            self._cond.notify_all()


class JobInterrupted(Exception):
    """Raised inside a job when it must stop: the server is shutting down, or the job
    was taken away (video deleted, lease lost)."""


class JobControl:
    """What a running job can ask of its worker: should I stop?"""

    def __init__(self, job: ClaimedJob, stopping: threading.Event) -> None:
        self.job = job
        self.stopping = stopping

    @property
    def lost(self) -> bool:
        return self.job.lost.is_set()

    def check(self) -> None:
        if self.job.lost.is_set():
            raise JobInterrupted("job was taken away")
        if self.stopping.is_set():
            raise JobInterrupted("server is stopping")


class JobHandler(Protocol):
    def handle(self, job: ClaimedJob, control: JobControl) -> None:
        """Runs a job to its end: must call the queue's complete/fail itself, or let
        JobInterrupted through (the pool then releases the job if it still owns it)."""


class WorkerPool:
    def __init__(
        self,
        queue: JobQueue,
        handler_factory: Callable[[], JobHandler],
        workers: int,
        lease_seconds: float,
        poll_seconds: float,
    ) -> None:
        self.queue = queue
        self.handler_factory = handler_factory
        self.count = workers
        self.renew_every = max(0.05, min(lease_seconds / 3, 5.0))
        self.poll = poll_seconds
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self._running: dict[str, ClaimedJob] = {}
        self._lock = threading.Lock()
        self.host = socket.gethostname()
        self.instance = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def is_dead(self, worker: str) -> bool:
        """Whether a worker name (host:pid:instance:wN) belongs to a process that is
        gone: one on this host whose pid no longer runs, or an earlier run of this
        very process id (containers restart as pid 1). Workers on other hosts are
        never judged: their leases say it."""
        parts = worker.split(":")
        if len(parts) != 4 or parts[0] != self.host or not parts[1].isdigit():
            return False
        pid = int(parts[1])
        if pid == os.getpid():
            return parts[2] != self.instance.split(":")[2]
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, someone else's
            return False
        return False

    def start(self) -> None:
        for n in range(self.count):
            t = threading.Thread(
                target=self._work, args=(f"{self.instance}:w{n}",), name=f"videolabels-worker-{n}", daemon=True
            )
            t.start()
            self.threads.append(t)
        if self.count:
            t = threading.Thread(target=self._renew, name="videolabels-leases", daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.queue.wake()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def _work(self, worker: str) -> None:
        try:
            handler = self.handler_factory()
        except Exception:
            log.exception("worker %s could not start; no indexing in this thread", worker)
            return
        while not self.stopping.is_set():
            try:
                job = self.queue.claim(worker)
            except Exception:
                log.exception("claiming a job failed; retrying")
                job = None
            if job is None:
                self.queue.wait(self.poll)
                continue
            with self._lock:
                self._running[job.id] = job
            try:
                handler.handle(job, JobControl(job, self.stopping))
            except JobInterrupted:
                if not job.lost.is_set():
                    self.queue.release(job)
            except Exception:  # the handler is meant to catch everything; belt and braces
                log.exception("job %s of video %s crashed", job.id, job.video_id)
                try:
                    self.queue.fail(job, "worker crashed")
                except Exception:
                    log.exception("could not mark job %s failed", job.id)
            finally:
                with self._lock:
                    self._running.pop(job.id, None)

    def _renew(self) -> None:
        while not self.stopping.wait(self.renew_every):
            with self._lock:
                jobs = list(self._running.values())
            for job in jobs:
                try:
                    if not self.queue.heartbeat(job):
                        job.lost.set()
                except Exception:
                    log.exception("renewing the lease of job %s failed", job.id)
