"""What the video routes do: uploads, records, index documents, deletion, re-indexing,
files and search. Routers only translate HTTP to these calls.

Documents are stored in English (the language the pipeline names labels in) and
translated on the way out. What the database knows better than the stored document --
the video's name, state, progress, failure, ids -- is laid over the document when it is
served, so a document never disagrees with the video's record.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..insights import format_created, format_timespan, parse_timespan
from . import search as searchlib
from .callbacks import Notifier, valid_callback_url
from .db import transaction
from .errors import ApiError, invalid_input, video_not_found
from .jobs import JobQueue
from .models import SearchTerm, Video
from .settings import Settings
from .uploads import ReceivedFile, safe_suffix

log = logging.getLogger("videolabels.service")

Clock = Callable[[], float]

SOURCE_LANGUAGE = "en-US"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
MAX_PAGE_SIZE = 1000
#: `textScope` values of Video Indexer's search; labels answer to these.
LABEL_SCOPES = {"labels", "label", "annotations", "visualcontent", "all"}
OTHER_SCOPES = {"transcript", "topics", "ocr", "brands", "namedlocations", "namedpeople", "faces", "keywords"}
_THUMB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_AUTO_LANGUAGES = {"", "auto", "multi"}


def _language_names() -> dict[str, str]:
    """Language names to codes: Video Indexer also takes `language=English` or
    `language=French` (its own samples do). A base name ("English", "Arabic") means
    the first of its variants, or en-US for English."""
    from ..localize import supported_languages

    names: dict[str, str] = {}
    for item in supported_languages():
        names.setdefault(item["name"].lower(), item["languageCode"])
    for item in supported_languages():
        base = item["name"].split(" (")[0].lower()
        names.setdefault(base, item["languageCode"])
    names["english"] = SOURCE_LANGUAGE
    return names


def resolve_language(value: str | None) -> str | None:
    """A canonical locale code, None for "not given"/auto; 400 for an unknown one."""
    if value is None or value.strip().lower() in _AUTO_LANGUAGES:
        return None
    from ..localize import UnknownLanguageError
    from ..localize import resolve_language as resolve

    try:
        return resolve(value.strip())
    except UnknownLanguageError as e:
        code = _language_names().get(value.strip().lower())
        if code is None:
            raise invalid_input(str(e)) from None
        return code


def translate(doc: dict, language: str) -> dict:
    from ..localize import UnknownLanguageError, translate_index

    try:
        return translate_index(doc, language)
    except UnknownLanguageError as e:
        raise invalid_input(str(e)) from None


def _split_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [p.strip() for item in items for p in item.split(",") if p.strip()]


def progress_text(video: Video) -> str:
    return f"{video.processing_progress}%"


@dataclass
class UploadParams:
    name: str | None = None
    description: str | None = None
    privacy: str | None = None
    language: str | None = None
    callback_url: str | None = None
    external_id: str | None = None
    metadata: str | None = None
    partition: str | None = None
    excluded_ai: list[str] | None = None


def _privacy(value: str | None) -> str:
    if not value:
        return "Private"
    for mode in ("Private", "Public"):
        if value.lower() == mode.lower():
            return mode
    raise invalid_input(f"privacy must be Private or Public, not {value!r}.")


class VideoService:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        queue: JobQueue,
        notifier: Notifier,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.queue = queue
        self.notifier = notifier
        self.clock = clock
        self.data_dir = settings.data_dir
        self.media_dir = self.data_dir / "media"
        self.thumbs_dir = self.data_dir / "thumbnails"
        self.uploads_dir = self.data_dir / "uploads"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- files ------------------------------------------------------------------
    def media_path(self, video: Video) -> Path:
        return self.data_dir / video.media_file

    def thumbs_path(self, video_id: str) -> Path:
        return self.thumbs_dir / video_id

    def clean_partial_uploads(self) -> None:
        """Half-received uploads of a server that died; nothing refers to them."""
        if self.uploads_dir.is_dir():
            for part in self.uploads_dir.glob("*.part"):
                part.unlink(missing_ok=True)

    # -- lookups ----------------------------------------------------------------
    def _get(self, s: Session, account_id: str, video_id: str) -> Video:
        video = s.get(Video, video_id)
        if video is None or video.account_id != account_id:
            raise video_not_found(video_id)
        return video

    def get(self, account_id: str, video_id: str) -> Video:
        with self.sessions() as s:
            return self._get(s, account_id, video_id)

    # -- upload -----------------------------------------------------------------
    @staticmethod
    def check_upload(p: UploadParams) -> UploadParams:
        """The parameters, normalized; checked before the body is read, so a bad
        parameter costs the client no upload."""
        if p.callback_url and not valid_callback_url(p.callback_url):
            raise invalid_input("callbackUrl must be an absolute http(s) URL.")
        if p.name is not None and len(p.name) > 1024:
            raise invalid_input("name is longer than 1024 characters.")
        p.privacy = _privacy(p.privacy)
        p.language = resolve_language(p.language) or SOURCE_LANGUAGE
        return p

    def create(self, account_id: str, received: ReceivedFile, p: UploadParams) -> dict:
        """Registers an uploaded file (parameters from `check_upload`) and queues it."""
        privacy = p.privacy or "Private"
        language = p.language or SOURCE_LANGUAGE
        try:
            return self._create(account_id, received, p, privacy, language)
        finally:
            received.path.unlink(missing_ok=True)  # still there only if registering failed

    def _create(self, account_id: str, received: ReceivedFile, p: UploadParams, privacy: str, language: str) -> dict:
        name = (p.name or Path(received.file_name).stem or "video")[:1024]
        now = self.now()
        for _ in range(5):
            video_id = secrets.token_hex(5)
            folder = self.media_dir / video_id
            try:
                folder.mkdir(parents=True)
            except FileExistsError:
                continue
            target = folder / f"source{safe_suffix(received.file_name)}"
            received.path.replace(target)
            video = Video(
                id=video_id,
                account_id=account_id,
                name=name,
                description=p.description,
                privacy_mode=privacy,
                external_id=p.external_id,
                meta=p.metadata,
                partition=p.partition,
                callback_url=p.callback_url,
                language=language,
                excluded_ai=",".join(p.excluded_ai or []) or None,
                state="Uploaded",
                processing_progress=0,
                failure_code="None",
                failure_message="",
                file_name=received.file_name[:1024],
                media_file=str(target.relative_to(self.data_dir)),
                size_bytes=received.size,
                created=now,
                last_modified=now,
            )
            try:
                with transaction(self.sessions) as s:
                    s.add(video)
                    s.flush()
                    self.queue.submit(video_id, account_id, session=s)
            except IntegrityError:  # id taken in a database shared with another data dir
                shutil.rmtree(folder, ignore_errors=True)
                continue
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self.queue.wake()
            return self.record(video)
        raise ApiError(500, "GENERAL", "Could not allocate a video id.")

    # -- records ----------------------------------------------------------------
    def record(self, video: Video, search_matches: list[dict] | None = None) -> dict:
        """The video as Video Indexer lists it (Upload, List Videos, Search)."""
        created = format_created(video.created)
        return {
            "accountId": video.account_id,
            "id": video.id,
            "partition": video.partition,
            "externalId": video.external_id,
            "metadata": video.meta,
            "name": video.name,
            "description": video.description,
            "created": created,
            "lastModified": format_created(video.last_modified),
            "lastIndexed": format_created(video.last_indexed) if video.last_indexed else None,
            "privacyMode": video.privacy_mode,
            "userName": " ",
            "isOwned": True,
            "isBase": True,
            "hasSourceVideoFile": True,
            "state": video.state,
            "moderationState": "OK",
            "reviewState": "None",
            "processingProgress": progress_text(video),
            "failureCode": video.failure_code,
            "failureMessage": video.failure_message,
            "durationInSeconds": int(video.duration_seconds or 0),
            "thumbnailVideoId": video.id,
            "thumbnailId": video.thumbnail_id or ZERO_GUID,
            "searchMatches": search_matches or [],
            "indexingPreset": "Default",
            "streamingPreset": "NoStreaming",
            "sourceLanguage": video.language,
            "sourceLanguages": [video.language],
            "personModelId": ZERO_GUID,
        }

    def list(self, account_id: str, skip: int, page_size: int) -> dict:
        page_size = min(page_size, MAX_PAGE_SIZE)
        with self.sessions() as s:
            rows = s.scalars(
                select(Video)
                .where(Video.account_id == account_id)
                .order_by(Video.created.desc(), Video.id)
                .offset(skip)
                .limit(page_size + 1)
            ).all()
        done = len(rows) <= page_size
        return {
            "results": [self.record(v) for v in rows[:page_size]],
            "nextPage": {"pageSize": page_size, "skip": skip if done else skip + page_size, "done": done},
        }

    def id_by_external_id(self, account_id: str, external_id: str) -> str:
        with self.sessions() as s:
            video_id = s.scalar(
                select(Video.id)
                .where(Video.account_id == account_id, Video.external_id == external_id)
                .order_by(Video.created.desc())
                .limit(1)
            )
        if video_id is None:
            raise ApiError(404, "VIDEO_NOT_FOUND", f"No video with externalId {external_id!r} in this account.")
        return video_id

    # -- the index document -------------------------------------------------------
    def _placeholder(self, video: Video) -> dict:
        """The document of a video not (yet) indexed: Video Indexer answers Get Index
        during processing too, and clients poll it for `state`."""
        duration = format_timespan(video.duration_seconds or 0)
        return {
            "partition": None,
            "description": None,
            "privacyMode": video.privacy_mode,
            "state": video.state,
            "accountId": video.account_id,
            "id": video.id,
            "name": video.name,
            "userName": " ",
            "created": format_created(video.created),
            "isOwned": True,
            "isEditable": True,
            "isBase": True,
            "durationInSeconds": int(video.duration_seconds or 0),
            "videos": [
                {
                    "accountId": video.account_id,
                    "id": video.id,
                    "state": video.state,
                    "moderationState": "OK",
                    "reviewState": "None",
                    "privacyMode": video.privacy_mode,
                    "processingProgress": progress_text(video),
                    "failureCode": video.failure_code,
                    "failureMessage": video.failure_message,
                    "externalId": video.external_id,
                    "externalUrl": None,
                    "metadata": video.meta,
                    "insights": {
                        "version": "1.0.0.0",
                        "duration": duration,
                        "sourceLanguage": SOURCE_LANGUAGE,
                        "sourceLanguages": [SOURCE_LANGUAGE],
                        "language": SOURCE_LANGUAGE,
                        "languages": [SOURCE_LANGUAGE],
                        "labels": [],
                    },
                    "thumbnailId": None,
                    "detectSourceLanguage": False,
                    "languageAutoDetectMode": "None",
                    "sourceLanguage": SOURCE_LANGUAGE,
                    "sourceLanguages": [SOURCE_LANGUAGE],
                    "language": SOURCE_LANGUAGE,
                    "languages": [SOURCE_LANGUAGE],
                    "indexingPreset": "Default",
                    "linguisticModelId": ZERO_GUID,
                    "personModelId": ZERO_GUID,
                    "isAdult": False,
                    "publishedUrl": None,
                    "publishedProxyUrl": None,
                    "viewToken": None,
                }
            ],
            "videosRanges": [],
        }

    @staticmethod
    def _overlay(doc: dict, video: Video, editable: bool) -> None:
        top = {
            "partition": video.partition,
            "description": video.description,
            "privacyMode": video.privacy_mode,
            "state": video.state,
            "accountId": video.account_id,
            "id": video.id,
            "name": video.name,
            "created": format_created(video.created),
            "isEditable": editable,
        }
        for key, value in top.items():
            doc[key] = value
        for entry in doc.get("videos", []):
            entry.update(
                accountId=video.account_id,
                id=video.id,
                state=video.state,
                privacyMode=video.privacy_mode,
                processingProgress=progress_text(video),
                failureCode=video.failure_code,
                failureMessage=video.failure_message,
                externalId=video.external_id,
                metadata=video.meta,
            )
        for r in doc.get("videosRanges", []):
            r["videoId"] = video.id
        summary = doc.get("summarizedInsights")
        if summary:
            summary["name"] = video.name
            summary["id"] = video.id
            summary["privacyMode"] = video.privacy_mode
            summary["thumbnailVideoId"] = video.id

    @staticmethod
    def _filter_insights(doc: dict, included: list[str], excluded: list[str]) -> None:
        """includedInsights / excludedInsights: insight kinds (Labels, Faces, ...)
        kept or dropped from `insights` and `summarizedInsights`; the descriptive keys
        (duration, languages, version) always stay."""
        if not included and not excluded:
            return
        inc = {i.lower() for i in included}
        exc = {i.lower() for i in excluded}

        def keep(key: str) -> bool:
            k = key.lower()
            return (not inc or k in inc) and k not in exc

        for entry in doc.get("videos", []):
            insights = entry.get("insights") or {}
            for key in [
                k for k, v in insights.items() if isinstance(v, list) and k not in ("sourceLanguages", "languages")
            ]:
                if not keep(key):
                    del insights[key]
        summary = doc.get("summarizedInsights")
        if summary:
            for key in [k for k, v in summary.items() if isinstance(v, list)]:
                if not keep(key):
                    del summary[key]

    def index_document(
        self,
        account_id: str,
        video_id: str,
        *,
        language: str | None,
        include_summarized: bool,
        included: list[str] | str | None,
        excluded: list[str] | str | None,
        editable: bool,
    ) -> dict:
        code = resolve_language(language)
        with self.sessions() as s:
            video = self._get(s, account_id, video_id)
        doc = copy.deepcopy(video.index_doc) if video.index_doc else self._placeholder(video)
        self._overlay(doc, video, editable)
        if not include_summarized:
            doc.pop("summarizedInsights", None)
        self._filter_insights(doc, _split_list(included), _split_list(excluded))
        target = code or (video.language if video.index_doc else None)
        if target and target != SOURCE_LANGUAGE:
            doc = translate(doc, target)
        return doc

    # -- changes ----------------------------------------------------------------
    def delete(self, account_id: str, video_id: str) -> None:
        with transaction(self.sessions) as s:
            video = self._get(s, account_id, video_id)
            self.queue.cancel(video_id, session=s)
            s.execute(delete(SearchTerm).where(SearchTerm.video_id == video_id))
            s.delete(video)  # its job rows go with it (ON DELETE CASCADE)
        shutil.rmtree(self.media_dir / video_id, ignore_errors=True)
        shutil.rmtree(self.thumbs_path(video_id), ignore_errors=True)

    def reindex(self, account_id: str, video_id: str, callback_url: str | None, language: str | None) -> None:
        if callback_url and not valid_callback_url(callback_url):
            raise invalid_input("callbackUrl must be an absolute http(s) URL.")
        code = resolve_language(language)
        with transaction(self.sessions) as s:
            video = self._get(s, account_id, video_id)
            if self.queue.pending(video_id, session=s):
                message = f"Video {video_id} is being indexed; try again when it is done."
                raise ApiError(409, "VIDEO_INDEXING_IN_PROGRESS", message)
            if not self.media_path(video).is_file():
                raise ApiError(
                    400, "VIDEO_SOURCE_FILE_MISSING", f"The source file of video {video_id} is gone; upload it again."
                )
            video.state = "Uploaded"
            video.processing_progress = 0
            video.failure_code = "None"
            video.failure_message = ""
            video.last_modified = self.now()
            if callback_url:
                video.callback_url = callback_url
            if code:
                video.language = code
            self.queue.submit(video_id, account_id, session=s)
        self.queue.wake()

    def recover(self) -> int:
        """Queues every video left Uploaded/Processing without a live job -- e.g. one
        whose job was lost with an external queue. Returns how many."""
        with transaction(self.sessions) as s:
            unfinished = s.scalars(select(Video).where(Video.state.in_(("Uploaded", "Processing")))).all()
            orphans = [v for v in unfinished if not self.queue.pending(v.id, session=s)]
            for video in orphans:
                self.queue.submit(video.id, video.account_id, session=s)
        if orphans:
            self.queue.wake()
        return len(orphans)

    # -- files ----------------------------------------------------------------------
    def thumbnail_file(self, account_id: str, video_id: str, thumbnail_id: str) -> Path:
        self.get(account_id, video_id)
        path = self.thumbs_path(video_id) / f"{thumbnail_id.lower()}.jpg"
        if not _THUMB_ID.match(thumbnail_id.lower()) or not path.is_file():
            raise ApiError(404, "THUMBNAIL_NOT_FOUND", f"Thumbnail {thumbnail_id} of video {video_id} was not found.")
        return path

    def source_file(self, account_id: str, video_id: str) -> tuple[Path, str]:
        video = self.get(account_id, video_id)
        path = self.media_path(video)
        if not path.is_file():
            raise ApiError(404, "VIDEO_SOURCE_FILE_MISSING", f"The source file of video {video_id} is gone.")
        return path, video.file_name

    # -- search ---------------------------------------------------------------------
    def search(
        self,
        account_id: str,
        query: str,
        *,
        text_scope: list[str] | str | None,
        language: str | None,
        skip: int,
        page_size: int,
    ) -> dict:
        page_size = min(page_size, MAX_PAGE_SIZE)
        try:
            q = searchlib.parse_query(query or "")
        except searchlib.QueryError as e:
            raise invalid_input(str(e)) from None
        code = resolve_language(language)
        scopes = {s.lower() for s in _split_list(text_scope)}
        unknown = scopes - LABEL_SCOPES - OTHER_SCOPES
        if unknown:
            raise invalid_input(f"Unknown textScope {', '.join(sorted(unknown))}.")
        labels_searched = not scopes or bool(scopes & LABEL_SCOPES)
        languages = None if code is None else {code, SOURCE_LANGUAGE}

        with self.sessions() as s:
            ordered = (
                s.execute(
                    select(Video.id)
                    .where(Video.account_id == account_id, Video.state == "Processed")
                    .order_by(Video.created.desc(), Video.id)
                )
                .scalars()
                .all()
            )
            terms: dict[str, list[SearchTerm]] = {}
            atoms = q.atoms()
            if atoms and labels_searched:
                stmt = select(SearchTerm).where(
                    SearchTerm.account_id == account_id,
                    or_(*[SearchTerm.norm.contains(a.prefilter(), autoescape=True) for a in atoms]),
                )
                if languages:
                    stmt = stmt.where(SearchTerm.language.in_(languages))
                for term in s.scalars(stmt):
                    terms.setdefault(term.video_id, []).append(term)

        hits_by_video: dict[str, list[searchlib.Hit]] = {}
        if labels_searched and not q.empty:
            for video_id in ordered:
                names = [((t.label_id, t.language), t.text) for t in terms.get(video_id, [])]
                if not names and q.clauses:
                    continue
                hits = q.match(names)
                if hits is not None:
                    hits_by_video[video_id] = hits
            matched = [v for v in ordered if v in hits_by_video]
        elif labels_searched or not scopes:
            matched = list(ordered)  # an empty query lists every searchable video
        else:
            matched = []  # only insight kinds this server does not produce

        page_ids = matched[skip : skip + page_size]
        with self.sessions() as s:
            videos = {v.id: v for v in s.scalars(select(Video).where(Video.id.in_(page_ids)))} if page_ids else {}
        results = []
        for video_id in page_ids:
            video = videos.get(video_id)
            if video is None:  # deleted meanwhile
                continue
            prefer = code or video.language
            matches = self._search_matches(video, hits_by_video.get(video_id, []), prefer)
            results.append(self.record(video, matches))
        done = skip + page_size >= len(matched)
        return {
            "results": results,
            "nextPage": {"pageSize": page_size, "skip": skip if done else skip + page_size, "done": done},
        }

    @staticmethod
    def _search_matches(video: Video, hits: list[searchlib.Hit], prefer: str) -> list[dict]:
        """One match per instance of each matched label, so a client can jump to every
        moment; a label matched in several languages is reported in the preferred one."""
        chosen: dict[int, searchlib.Hit] = {}
        rank = {prefer: 0, SOURCE_LANGUAGE: 1}
        for hit in hits:
            label_id, lang = hit.key  # type: ignore[misc]
            current = chosen.get(label_id)
            if current is None or rank.get(lang, 2) < rank.get(current.key[1], 2):  # type: ignore[index]
                chosen[label_id] = hit
        labels = {}
        for entry in (video.index_doc or {}).get("videos", []):
            for label in (entry.get("insights") or {}).get("labels", []):
                labels[label["id"]] = label
        out: list[tuple[float, dict]] = []
        for label_id, hit in chosen.items():
            label = labels.get(label_id)
            if label is None:
                continue
            for inst in label.get("instances", []):
                out.append(
                    (
                        parse_timespan(inst["start"]),
                        {"startTime": inst["start"], "type": "Label", "text": hit.text, "exactText": hit.exact_text},
                    )
                )
        out.sort(key=lambda pair: pair[0])
        return [m for _, m in out]
