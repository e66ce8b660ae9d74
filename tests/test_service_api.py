"""The HTTP service end to end: a real uvicorn on loopback, real clips, real models.

One server per storage backend for the whole module (SQLite always, PostgreSQL when
VIDEOLABELS_TEST_DATABASE_URL is set); it indexes a small library once, in its own
account, and the tests read it. Tests that change videos use accounts of their own.
"""

from __future__ import annotations

import base64
import wave
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from service_helpers import API_KEY, BACKENDS, DATA, LOCATION, Api, CallbackReceiver, LiveServer, database

from videolabels.service import Settings

LIBRARY = "0d1c0a5e-0000-4000-8000-00000000a11b"  # an account id the way Video Indexer writes them
MAX_UPLOAD = 2_000_000  # bytes; larger than every clip used here
CLIPS = ("bikes", "carphone_pristine", "realshort")


@dataclass
class Env:
    server: LiveServer
    api: Api
    receiver: CallbackReceiver
    uploads: dict[str, dict]  # clip -> upload response
    docs: dict[str, dict]  # clip -> English index once Processed

    def id(self, clip: str) -> str:
        return self.uploads[clip]["id"]


@pytest.fixture(scope="module", params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    with database(request.param) as url:
        receiver = CallbackReceiver()
        settings = Settings(
            data_dir=tmp_path_factory.mktemp(f"data-{request.param}"),
            database_url=url,
            api_key=API_KEY,
            workers=2,
            max_upload_bytes=MAX_UPLOAD,
            job_poll_seconds=0.2,
        )
        server = LiveServer(settings)
        api = Api(server.url)
        try:
            uploads = {}
            for clip in CLIPS:
                r = api.upload(
                    LIBRARY, DATA / f"{clip}.mp4", callbackUrl=f"{receiver.url}?source=test", externalId=f"ext-{clip}"
                )
                assert r.status_code == 200, r.text
                uploads[clip] = r.json()
            docs = {clip: api.wait(LIBRARY, uploads[clip]["id"]) for clip in CLIPS}
            yield Env(server, api, receiver, uploads, docs)
        finally:
            api.close()
            server.stop()
            receiver.stop()


def labels_of(doc: dict) -> list[dict]:
    return doc["videos"][0]["insights"]["labels"]


def names_of(doc: dict) -> set[str]:
    return {label["name"] for label in labels_of(doc)}


def error(r: httpx.Response, status: int, error_type: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ErrorType"] == error_type, body
    assert isinstance(body["Message"], str) and body["Message"]


# --------------------------------------------------------------------------- basics


def test_openapi_document(env: Env) -> None:
    r = env.api.http.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in [
        "/Auth/{location}/Accounts/{accountId}/AccessToken",
        "/{location}/Accounts/{accountId}/Videos",
        "/{location}/Accounts/{accountId}/Videos/{videoId}/Index",
        "/{location}/Accounts/{accountId}/Videos/Search",
        "/{location}/Accounts/{accountId}/Videos/{videoId}/ReIndex",
        "/{location}/Accounts/{accountId}/Videos/{videoId}/Thumbnails/{thumbnailId}",
        "/{location}/Accounts/{accountId}/Videos/{videoId}/SourceFile/DownloadUrl",
        "/{location}/SupportedLanguages",
    ]:
        assert path in paths


def test_supported_languages(env: Env) -> None:
    r = env.api.http.get(f"/{LOCATION}/SupportedLanguages")
    assert r.status_code == 200
    items = r.json()
    codes = {item["languageCode"] for item in items}
    assert {"en-US", "fr-FR", "ja-JP", "he-IL"} <= codes
    assert set(items[0]) >= {"name", "languageCode", "isRightToLeft", "isSourceLanguage", "isAutoDetect"}


def test_upload_record_then_processed_with_callbacks(env: Env) -> None:
    record = env.uploads["bikes"]
    assert record["state"] == "Uploaded"
    assert record["accountId"] == LIBRARY and record["name"] == "bikes" and record["externalId"] == "ext-bikes"
    assert len(record["id"]) == 10
    for clip in CLIPS:
        video_id = env.id(clip)
        assert env.docs[clip]["state"] == "Processed", env.docs[clip]["videos"][0]["failureMessage"]
        env.receiver.wait_for(lambda v=video_id: "Processed" in env.receiver.states(v))
        assert env.receiver.states(video_id) == ["Processing", "Processed"]
    # The callback URL's own query survives.
    assert all(q["source"] == ["test"] for _, _, q in env.receiver.calls)


def test_index_document(env: Env) -> None:
    doc = env.docs["bikes"]
    assert doc["id"] == env.id("bikes") and doc["accountId"] == LIBRARY and doc["name"] == "bikes"
    video = doc["videos"][0]
    assert video["state"] == "Processed" and video["processingProgress"] == "100%" and video["failureCode"] == "None"
    assert doc["durationInSeconds"] == 10
    assert "summarizedInsights" in doc  # Video Indexer's default
    labels = labels_of(doc)
    assert labels  # a street with cars and people: the models find something
    for label in labels:
        assert label["language"] == "en-US"
        for inst in label["instances"]:
            assert set(inst) == {"confidence", "adjustedStart", "adjustedEnd", "start", "end", "thumbnailId"}

    from videolabels.insights import validate_index

    validate_index(doc)  # thumbnailId on instances is part of the schema
    plain = env.api.index(LIBRARY, env.id("bikes"), includeSummarizedInsights="false")
    assert "summarizedInsights" not in plain
    validate_index(plain)
    assert labels_of(plain) == labels


def test_index_is_what_the_cli_writes(env: Env) -> None:
    from videolabels.pipeline import Indexer, IndexOptions

    expected = Indexer().index(DATA / "carphone_pristine.mp4", IndexOptions(include_summarized_insights=True))
    served = env.docs["carphone_pristine"]
    stripped = [
        {**label, "instances": [{k: v for k, v in i.items() if k != "thumbnailId"} for i in label["instances"]]}
        for label in labels_of(served)
    ]
    assert stripped == labels_of(expected)
    assert served["summarizedInsights"]["labels"] == expected["summarizedInsights"]["labels"]
    assert served["videos"][0]["insights"]["duration"] == expected["videos"][0]["insights"]["duration"]


def test_index_in_two_languages(env: Env) -> None:
    english = env.docs["bikes"]
    for language in ("fr-FR", "French", "fr"):
        french = env.api.index(LIBRARY, env.id("bikes"), language=language)
        assert french["videos"][0]["insights"]["language"] == "fr-FR"
        assert [label["id"] for label in labels_of(french)] == [label["id"] for label in labels_of(english)]
        assert all(label["language"] == "fr-FR" for label in labels_of(french))
        assert names_of(french) != names_of(english)
    japanese = env.api.index(LIBRARY, env.id("bikes"), language="ja-JP")
    assert names_of(japanese) != names_of(english)
    r = env.api.call("GET", LIBRARY, f"/Videos/{env.id('bikes')}/Index", params={"language": "xx-XX"})
    error(r, 400, "INVALID_INPUT")


def test_included_and_excluded_insights(env: Env) -> None:
    video_id = env.id("bikes")
    without = env.api.index(LIBRARY, video_id, excludedInsights="Labels")
    assert "labels" not in without["videos"][0]["insights"]
    assert "labels" not in without["summarizedInsights"]
    assert without["videos"][0]["insights"]["duration"]
    only = env.api.index(LIBRARY, video_id, includedInsights="Faces,Labels")
    assert labels_of(only) == labels_of(env.docs["bikes"])


def test_thumbnails(env: Env) -> None:
    import cv2
    import numpy as np

    video_id = env.id("bikes")
    doc = env.docs["bikes"]
    ids = {inst["thumbnailId"] for label in labels_of(doc) for inst in label["instances"]}
    assert ids
    assert doc["videos"][0]["thumbnailId"] not in (None, "00000000-0000-0000-0000-000000000000")
    for thumbnail_id in sorted(ids)[:3] + [doc["videos"][0]["thumbnailId"]]:
        r = env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Thumbnails/{thumbnail_id}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (272, 640, 3)  # bikes.mp4 is 640x272
    r64 = env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Thumbnails/{thumbnail_id}", params={"format": "Base64"})
    assert base64.b64decode(r64.json()) == r.content
    missing = env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Thumbnails/00000000-0000-4000-8000-000000000000")
    error(missing, 404, "THUMBNAIL_NOT_FOUND")
    assert env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Thumbnails/..%2F..%2Fapi_key").status_code == 404
    error(env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Thumbnails/api_key"), 404, "THUMBNAIL_NOT_FOUND")


def test_list_videos_paged(env: Env) -> None:
    r = env.api.call("GET", LIBRARY, "/Videos", params={"pageSize": 2})
    assert r.status_code == 200
    page = r.json()
    assert [v["id"] for v in page["results"]] == [env.id("realshort"), env.id("carphone_pristine")]  # newest first
    assert page["nextPage"] == {"pageSize": 2, "skip": 2, "done": False}
    assert page["results"][0]["state"] == "Processed" and page["results"][0]["processingProgress"] == "100%"
    last = env.api.call("GET", LIBRARY, "/Videos", params={"pageSize": 2, "skip": 2}).json()
    assert [v["id"] for v in last["results"]] == [env.id("bikes")]
    assert last["nextPage"]["done"] is True
    error(env.api.call("GET", LIBRARY, "/Videos", params={"pageSize": 0}), 400, "INVALID_INPUT")
    r = env.api.call("GET", LIBRARY, "/Videos/GetIdByExternalId", params={"externalId": "ext-carphone_pristine"})
    assert r.json() == env.id("carphone_pristine")


# --------------------------------------------------------------------------- search


def search(env: Env, query: str, **params: str) -> dict[str, list[dict]]:
    r = env.api.call("GET", LIBRARY, "/Videos/Search", params={"query": query, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["nextPage"]["done"] is True
    by_clip = {v["id"]: v for v in body["results"]}
    return {clip: by_clip[env.id(clip)]["searchMatches"] for clip in CLIPS if env.id(clip) in by_clip}


def test_search_operators(env: Env) -> None:
    bikes, car = names_of(env.docs["bikes"]), names_of(env.docs["carphone_pristine"])
    only_bikes = sorted(n for n in bikes - car if " " not in n)
    only_car = sorted(n for n in car - bikes if " " not in n)
    both = sorted(bikes & car)
    if not (only_bikes and only_car and both):
        pytest.skip(f"the models' labels do not give the needed overlap: {bikes} / {car}")
    a, b, c = only_bikes[0], only_car[0], both[0]

    found = search(env, a)
    assert set(found) == {"bikes"}
    starts = [i["start"] for label in labels_of(env.docs["bikes"]) if label["name"] == a for i in label["instances"]]
    assert [m["startTime"] for m in found["bikes"]] == starts
    assert all(m == {"startTime": m["startTime"], "type": "Label", "text": a, "exactText": a} for m in found["bikes"])

    assert set(search(env, f"{a} OR {b}")) == {"bikes", "carphone_pristine"}
    assert set(search(env, f"{a} {b}")) == {"bikes", "carphone_pristine"}
    assert set(search(env, f"{c} +{b}")) == {"carphone_pristine"}
    assert set(search(env, f"{a} +{b}")) == set()
    assert set(search(env, f"{c} -{a}")) == {"carphone_pristine"}
    assert set(search(env, f"-{c}")) >= {"realshort"}
    assert set(search(env, a.upper())) == {"bikes"}


def test_search_phrase(env: Env) -> None:
    phrases = sorted(n for doc in env.docs.values() for n in names_of(doc) if n.count(" ") == 1)
    if not phrases:
        pytest.skip("no two-word label in the library")
    phrase = phrases[0]
    owners = {clip for clip, doc in env.docs.items() if phrase in names_of(doc)}
    found = search(env, f'"{phrase}"')
    assert set(found) == owners
    assert all(m["exactText"] == phrase for matches in found.values() for m in matches)
    first, second = phrase.split(" ")
    reversed_owners = {clip for clip, doc in env.docs.items() if f"{second} {first}" in names_of(doc)}
    assert set(search(env, f'"{second} {first}"')) == reversed_owners


def test_search_in_other_languages(env: Env) -> None:
    english = {label["id"]: label["name"] for label in labels_of(env.docs["bikes"])}
    french = {
        label["id"]: label["name"] for label in labels_of(env.api.index(LIBRARY, env.id("bikes"), language="fr-FR"))
    }
    translated = sorted((french[i], english[i]) for i in english if french[i] != english[i] and " " not in french[i])
    if not translated:
        pytest.skip("no label of bikes.mp4 has a one-word French name")
    fr_name, en_name = translated[0]
    for params in ({"language": "fr-FR"}, {}):
        found = search(env, fr_name, **params)
        assert "bikes" in found
        assert {m["text"] for m in found["bikes"]} == {fr_name}
    # Asked in French, an English name still finds the video (it is the source language).
    assert "bikes" in search(env, en_name, language="fr-FR")


def test_search_scope_and_errors(env: Env) -> None:
    assert search(env, "", textScope="Transcript") == {}
    everything = search(env, "")
    assert set(everything) == set(CLIPS) and all(m == [] for m in everything.values())
    error(
        env.api.call("GET", LIBRARY, "/Videos/Search", params={"query": "a", "textScope": "Bogus"}),
        400,
        "INVALID_INPUT",
    )
    error(env.api.call("GET", LIBRARY, "/Videos/Search", params={"query": "a" * 2000}), 400, "INVALID_INPUT")
    r = env.api.call("GET", LIBRARY, "/Videos/Search", params={"query": "", "pageSize": 1, "skip": 1}).json()
    assert len(r["results"]) == 1 and r["nextPage"] == {"pageSize": 1, "skip": 2, "done": False}


# --------------------------------------------------------------------------- files


def test_source_file_with_range_requests(env: Env) -> None:
    video_id = env.id("bikes")
    original = (DATA / "bikes.mp4").read_bytes()
    size = len(original)
    r = env.api.call("GET", LIBRARY, f"/Videos/{video_id}/SourceFile/DownloadUrl")
    assert r.status_code == 200
    url = r.json()
    assert url.startswith(env.server.url) and "accessToken=" in url
    player = httpx.Client(timeout=30)  # no subscription key, no header: the URL is enough

    full = player.get(url)
    assert full.status_code == 200 and full.content == original
    assert full.headers["accept-ranges"] == "bytes" and full.headers["content-type"] == "video/mp4"

    part = player.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{size}"
    assert part.content == original[:100]

    tail = player.get(url, headers={"Range": "bytes=-1000"})
    assert tail.status_code == 206 and tail.content == original[-1000:]
    assert tail.headers["content-range"] == f"bytes {size - 1000}-{size - 1}/{size}"

    rest = player.get(url, headers={"Range": f"bytes={size - 10}-"})
    assert rest.status_code == 206 and rest.content == original[-10:]

    beyond = player.get(url, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"

    head = player.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == size

    # The URL's token is read-only and for this video only.
    token = url.split("accessToken=")[1]
    other = player.get(
        f"{env.server.url}/{LOCATION}/Accounts/{LIBRARY}/Videos/{env.id('realshort')}/SourceFile",
        params={"accessToken": token},
    )
    error(other, 403, "USER_NOT_ALLOWED")
    error(player.get(url.split("?")[0]), 401, "UNAUTHORIZED")
    player.close()


# --------------------------------------------------------------------------- auth


def test_access_tokens_and_accounts(env: Env) -> None:
    http = env.api.http
    path = f"/Auth/{LOCATION}/Accounts/{LIBRARY}/AccessToken"
    error(http.get(path), 401, "UNAUTHORIZED")
    error(http.get(path, headers={"Ocp-Apim-Subscription-Key": "wrong"}), 401, "UNAUTHORIZED")
    # Video Indexer's paths ignore case; clients write /auth/ as often as /Auth/.
    r = http.get(path.lower().replace(LIBRARY.lower(), LIBRARY), headers={"Ocp-Apim-Subscription-Key": API_KEY})
    assert r.status_code == 200 and r.json().count(".") == 2

    videos = f"/{LOCATION}/Accounts/{LIBRARY}/Videos"
    error(http.get(videos), 401, "UNAUTHORIZED")
    error(http.get(videos, params={"accessToken": "not.a.token"}), 401, "UNAUTHORIZED")
    token = env.api.token(LIBRARY)
    head, body, sig = token.split(".")
    forged = f"{head}.{body[:-2]}xx.{sig}"
    error(http.get(videos, params={"accessToken": forged}), 401, "UNAUTHORIZED")
    assert http.get(videos, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    # Another account: its own empty library, and no way into this one.
    stranger = "another-account"
    assert env.api.call("GET", stranger, "/Videos").json()["results"] == []
    r = http.get(videos, params={"accessToken": env.api.token(stranger)})
    error(r, 403, "USER_NOT_ALLOWED")
    r = env.api.call("GET", stranger, f"/Videos/{env.id('bikes')}/Index")
    error(r, 404, "VIDEO_NOT_FOUND")
    r = env.api.call("DELETE", stranger, f"/Videos/{env.id('bikes')}")
    error(r, 404, "VIDEO_NOT_FOUND")
    assert not search(env, "").keys() - set(CLIPS)


def test_read_only_tokens(env: Env) -> None:
    video_id = env.id("realshort")
    assert env.api.call("GET", LIBRARY, "/Videos", edit=False).status_code == 200
    assert env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Index", edit=False).json()["isEditable"] is False
    with (DATA / "realshort.mp4").open("rb") as f:
        r = env.api.call("POST", LIBRARY, "/Videos", edit=False, params={"name": "x"}, files={"file": ("x.mp4", f)})
    error(r, 403, "USER_NOT_ALLOWED")
    error(env.api.call("DELETE", LIBRARY, f"/Videos/{video_id}", edit=False), 403, "USER_NOT_ALLOWED")
    error(env.api.call("PUT", LIBRARY, f"/Videos/{video_id}/ReIndex", edit=False), 403, "USER_NOT_ALLOWED")


def test_video_access_token(env: Env) -> None:
    video_id = env.id("carphone_pristine")
    r = env.api.http.get(
        f"/Auth/{LOCATION}/Accounts/{LIBRARY}/Videos/{video_id}/AccessToken",
        headers={"Ocp-Apim-Subscription-Key": API_KEY},
    )
    token = r.json()
    assert env.api.call("GET", LIBRARY, f"/Videos/{video_id}/Index", params={"accessToken": token}).status_code == 200
    error(env.api.call("GET", LIBRARY, "/Videos", params={"accessToken": token}), 403, "USER_NOT_ALLOWED")
    other = env.api.call("GET", LIBRARY, f"/Videos/{env.id('bikes')}/Index", params={"accessToken": token})
    error(other, 403, "USER_NOT_ALLOWED")


# --------------------------------------------------------------------------- bad input


def write_audio_only(path: Path) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8000)


def test_bad_files_end_failed_and_the_server_keeps_serving(env: Env, tmp_path: Path) -> None:
    account = "bad-input"
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    audio = tmp_path / "tone.wav"
    write_audio_only(audio)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes((DATA / "bikes.mp4").read_bytes()[:4000])
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    expected = {
        text: {"UnsupportedFileType"},
        audio: {"NoVideoStream"},
        cut: {"CorruptFile"},
        empty: {"EmptyFile"},
    }
    ids = {}
    for path in expected:
        r = env.api.upload(account, path, callbackUrl=env.receiver.url)
        assert r.status_code == 200, r.text
        ids[path] = r.json()["id"]
    for path, codes in expected.items():
        doc = env.api.wait(account, ids[path])
        video = doc["videos"][0]
        assert doc["state"] == "Failed", (path.name, video)
        assert video["failureCode"] in codes, (path.name, video)
        assert video["failureMessage"] and "\n" not in video["failureMessage"]
        env.receiver.wait_for(lambda v=ids[path]: "Failed" in env.receiver.states(v))
        assert env.receiver.states(ids[path]) == ["Processing", "Failed"]
    listed = {v["id"]: v for v in env.api.call("GET", account, "/Videos").json()["results"]}
    assert listed[ids[text]]["failureCode"] == "UnsupportedFileType"
    # Still serving, and still indexing.
    r = env.api.upload(account, DATA / "realshort.mp4")
    assert env.api.wait(account, r.json()["id"])["state"] == "Processed"


def test_oversized_uploads_are_refused(env: Env) -> None:
    account = "big-uploads"
    blob = b"\0" * (MAX_UPLOAD + 100_000)
    token = env.api.token(account)
    url = f"/{LOCATION}/Accounts/{account}/Videos"
    r = env.api.http.post(url, params={"accessToken": token, "name": "big"}, files={"file": ("big.mp4", blob)})
    error(r, 413, "REQUEST_TOO_LARGE")
    assert "limit" in r.json()["Message"]

    # Without a Content-Length (chunked), the limit stops the stream part way.
    boundary = "videolabelsboundary"

    def chunks():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'.encode()
        for _ in range(40):
            yield b"\0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    r = env.api.http.post(
        url,
        params={"accessToken": token, "name": "big"},
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    error(r, 413, "REQUEST_TOO_LARGE")
    assert env.api.call("GET", account, "/Videos").json()["results"] == []
    assert list((env.server.settings.data_dir / "uploads").glob("*")) == []


def test_upload_parameter_errors(env: Env) -> None:
    account = "bad-params"
    for params in ({"privacy": "Secret"}, {"callbackUrl": "ftp://example.invalid/x"}, {"language": "xx-XX"}):
        error(env.api.upload(account, DATA / "realshort.mp4", **params), 400, "INVALID_INPUT")
    error(env.api.call("POST", account, "/Videos", params={"name": "x"}, data={"a": "b"}), 400, "INVALID_INPUT")
    error(
        env.api.call("POST", account, "/Videos", params={"videoUrl": "http://example.invalid/v.mp4"}),
        400,
        "INVALID_INPUT",
    )
    assert env.api.call("GET", account, "/Videos").json()["results"] == []


# --------------------------------------------------------------------------- changes


def test_delete(env: Env) -> None:
    account = "deletions"
    video_id = env.api.upload(account, DATA / "realshort.mp4").json()["id"]
    env.api.wait(account, video_id)
    data_dir = env.server.settings.data_dir
    assert (data_dir / "media" / video_id).is_dir() and any((data_dir / "thumbnails" / video_id).iterdir())
    r = env.api.call("DELETE", account, f"/Videos/{video_id}")
    assert r.status_code == 204
    error(env.api.call("GET", account, f"/Videos/{video_id}/Index"), 404, "VIDEO_NOT_FOUND")
    error(env.api.call("DELETE", account, f"/Videos/{video_id}"), 404, "VIDEO_NOT_FOUND")
    assert not (data_dir / "media" / video_id).exists() and not (data_dir / "thumbnails" / video_id).exists()
    assert env.api.call("GET", account, "/Videos").json()["results"] == []


def test_reindex(env: Env) -> None:
    account = "reindexing"
    first = env.api.upload(account, DATA / "bikes.mp4").json()["id"]
    before = env.api.wait(account, first)
    r = env.api.call("PUT", account, f"/Videos/{first}/ReIndex", params={"callbackUrl": env.receiver.url})
    assert r.status_code == 204
    again = env.api.call("PUT", account, f"/Videos/{first}/ReIndex")
    error(again, 409, "VIDEO_INDEXING_IN_PROGRESS")
    after = env.api.wait(account, first)
    assert after["state"] == "Processed"
    env.receiver.wait_for(lambda: "Processed" in env.receiver.states(first))
    assert env.receiver.states(first) == ["Processing", "Processed"]

    def spans(doc: dict) -> list:  # type: ignore[type-arg]
        return [(label["name"], [(i["start"], i["end"]) for i in label["instances"]]) for label in labels_of(doc)]

    assert spans(after) == spans(before)
    error(env.api.call("PUT", account, "/Videos/0123456789/ReIndex"), 404, "VIDEO_NOT_FOUND")
