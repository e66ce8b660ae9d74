"""What a worker does with a job: index the video, make its thumbnails and search
terms, store the document, and move the video through Processing to Processed or
Failed -- telling the callback URL at each step.

One `IndexingHandler` per worker thread, each with its own `Indexer` (recognizers are
not thread-safe). Everything that can go wrong with a video ends as `Failed` with a
code and a message; nothing a video does stops the worker.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update

from .db import transaction
from .jobs import ClaimedJob, JobControl, JobInterrupted, JobQueue
from .models import SearchTerm, Video
from .search import normalize
from .settings import Settings
from .thumbnails import attach_thumbnails
from .videos import SOURCE_LANGUAGE, VideoService

log = logging.getLogger("videolabels.service.indexing")

#: Progress is written to the database at most this often (seconds).
PROGRESS_INTERVAL = 1.0
#: Share of the progress bar given to indexing proper; thumbnails and terms get the rest.
INDEX_SHARE = 95


def search_terms(doc: dict, video_id: str, account_id: str) -> list[SearchTerm]:
    """Label names of the document in English and in every other supported language
    where the name differs, so a search in any language finds the video."""
    from ..localize import supported_languages, translate_index

    labels = [
        {"id": label["id"], "name": label["name"], "language": label.get("language", SOURCE_LANGUAGE), "instances": []}
        for entry in doc.get("videos", [])
        for label in (entry.get("insights") or {}).get("labels", [])
    ]

    def term(language: str, label: dict) -> SearchTerm:
        name = label["name"][:512]
        return SearchTerm(
            video_id=video_id,
            account_id=account_id,
            language=language,
            label_id=label["id"],
            text=name,
            norm=normalize(name)[:512],
        )

    rows = [term(SOURCE_LANGUAGE, label) for label in labels]
    if not labels:
        return rows
    english = {label["id"]: label["name"] for label in labels}
    skeleton = {"videos": [{"insights": {"labels": labels}}]}
    for item in supported_languages():
        code = item.get("languageCode")
        if not code or code == SOURCE_LANGUAGE or item.get("isAutoDetect"):
            continue
        translated = translate_index(skeleton, code)
        for label in translated["videos"][0]["insights"]["labels"]:
            if label["name"] != english[label["id"]]:
                rows.append(term(code, label))
    return rows


class IndexingHandler:
    def __init__(
        self,
        settings: Settings,
        service: VideoService,
        queue: JobQueue,
        indexer_factory: Callable[[], Any],
    ) -> None:
        self.settings = settings
        self.service = service
        self.sessions = service.sessions
        self.queue = queue
        self.notifier = service.notifier
        self.indexer = indexer_factory()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.service.clock(), UTC)

    def _set(self, video_id: str, **values: Any) -> Video | None:
        """Updates the video's row; None if the video is gone (deleted meanwhile)."""
        with transaction(self.sessions) as s:
            video = s.get(Video, video_id)
            if video is None:
                return None
            for key, value in values.items():
                setattr(video, key, value)
            video.last_modified = self._now()
            return video

    def handle(self, job: ClaimedJob, control: JobControl) -> None:
        with self.sessions() as s:
            video = s.get(Video, job.video_id)
        if video is None:
            self.queue.complete(job)
            return
        if job.attempts > self.settings.job_max_attempts:
            message = f"Indexing was interrupted {job.attempts - 1} times (the server crashed each time); giving up."
            self._fail(job, "InternalError", message)
            return
        first = video.state != "Processing"
        video = self._set(
            job.video_id, state="Processing", processing_progress=0, failure_code="None", failure_message=""
        )
        if video is None:
            self.queue.complete(job)
            return
        if first:
            self.notifier.notify(video.callback_url, video.id, "Processing")
        try:
            self._run(job, control, video)
        except JobInterrupted:
            with self.sessions() as s:
                gone = s.get(Video, job.video_id) is None
            if gone:  # deleted while indexing: leave no files behind, nothing to hand back
                shutil.rmtree(self.service.thumbs_path(job.video_id), ignore_errors=True)
                job.lost.set()
            raise
        except Exception as e:
            from ..media import MediaError

            if isinstance(e, MediaError):
                self._fail(job, e.code, str(e))
            else:
                log.exception("indexing video %s failed", job.video_id)
                self._fail(
                    job, "InternalError", f"Indexing failed: {type(e).__name__}: {' '.join(str(e).split())}"[:2000]
                )

    def _fail(self, job: ClaimedJob, code: str, message: str) -> None:
        video = self._set(job.video_id, state="Failed", failure_code=code, failure_message=message)
        self.queue.fail(job, f"{code}: {message}")
        if video is not None:
            self.notifier.notify(video.callback_url, video.id, "Failed")

    def _run(self, job: ClaimedJob, control: JobControl, video: Video) -> None:
        from ..pipeline import DEFAULT_MIN_CONFIDENCE, IndexOptions

        options = IndexOptions(
            fps=self.settings.fps,
            min_confidence=DEFAULT_MIN_CONFIDENCE
            if self.settings.min_confidence is None
            else self.settings.min_confidence,
            include_summarized_insights=True,
            language=SOURCE_LANGUAGE,
        )
        last = [0.0, -1]

        def progress(done: float, total: float) -> None:
            control.check()
            now = time.monotonic()
            percent = int(INDEX_SHARE * done / total) if total > 0 else 0
            if percent != last[1] and now - last[0] >= PROGRESS_INTERVAL:
                last[0], last[1] = now, percent
                with transaction(self.sessions) as s:
                    s.execute(update(Video).where(Video.id == job.video_id).values(processing_progress=percent))

        path = self.service.media_path(video)
        doc = self.indexer.index(path, options, progress=progress, name=video.name, video_id=video.id)
        control.check()

        thumbs = self.service.thumbs_path(video.id)
        shutil.rmtree(thumbs, ignore_errors=True)
        try:
            thumbnail_id = attach_thumbnails(doc, path, thumbs, fps=options.fps, max_side=options.max_side)
        except Exception:
            # The index is still good without pictures; say so in the log, not as a failure.
            log.exception("thumbnails of video %s could not be made", video.id)
            thumbnail_id = None
        if thumbnail_id:
            for entry in doc.get("videos", []):
                entry["thumbnailId"] = thumbnail_id
            if doc.get("summarizedInsights"):
                doc["summarizedInsights"]["thumbnailId"] = thumbnail_id
        control.check()
        terms = search_terms(doc, video.id, video.account_id)
        control.check()

        with transaction(self.sessions) as s:
            current = s.get(Video, video.id)
            if current is None:
                raise JobInterrupted("video was deleted")
            s.execute(delete(SearchTerm).where(SearchTerm.video_id == video.id))
            s.add_all(terms)
            current.index_doc = doc
            current.state = "Processed"
            current.processing_progress = 100
            current.failure_code = "None"
            current.failure_message = ""
            current.duration_seconds = float(doc.get("durationInSeconds") or 0)
            insights = (doc.get("videos") or [{}])[0].get("insights") or {}
            if insights.get("duration"):
                from ..insights import parse_timespan

                current.duration_seconds = parse_timespan(insights["duration"])
            current.thumbnail_id = thumbnail_id
            now = self._now()
            current.last_indexed = now
            current.last_modified = now
            callback = current.callback_url
        self.queue.complete(job)
        self.notifier.notify(callback, video.id, "Processed")
