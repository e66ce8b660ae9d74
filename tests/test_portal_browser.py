"""The web portal in a real browser: Playwright driving Debian's Chromium against a live
server (real uvicorn, real models, real clips).

One server and one signed-in browser tab for the module: the `portal` fixture signs in
with the subscription key through the form, uploads bikes.mp4 with the Upload button
and a clip encoded here from real photos (coffee, astronaut, coffee: labels that come
back) by drag-and-drop, and waits until the library shows both Processed. Each test
then navigates where it needs to. The expected values come from the API, read with
the same key.

Skipped only when Chromium is missing (`apt install chromium`; VIDEOLABELS_TEST_CHROMIUM
names another binary).
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("VIDEOLABELS_TEST_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: the portal's browser tests drive Debian's Chromium (apt install chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from service_helpers import API_KEY, DATA, Api, LiveServer  # noqa: E402

from videolabels.service import Settings  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACCOUNT = "portal-account"
H264 = 'video/mp4; codecs="avc1.64001F"'
TIMEOUT_MS = 90_000


@dataclass
class Portal:
    server: LiveServer
    api: Api
    page: Page
    ids: dict[str, str]  # clip -> video id
    docs: dict[str, dict]  # clip -> English index (Processed)
    requests: list[str] = field(default_factory=list)
    states_seen: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def open(self, fragment: str) -> None:
        self.page.goto(f"{self.url}/#{fragment}")


def labels_of(doc: dict) -> list[dict]:
    return doc["videos"][0]["insights"]["labels"]


def seconds(timespan: str) -> float:
    h, m, s = timespan.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def sign_in(page: Page, url: str, account: str = ACCOUNT) -> None:
    page.goto(f"{url}/")
    expect(page.get_by_role("heading", name="Sign in to videolabels")).to_be_visible()
    page.get_by_label("Account ID").fill(account)
    page.get_by_label("Location").fill("trial")
    page.get_by_label("API key").fill(API_KEY)
    page.locator("form.login").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Library"))).to_be_visible()


def session_of(page: Page) -> dict:
    return json.loads(page.evaluate("sessionStorage.getItem('videolabels.session')") or "null")


def token_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def encode_repeat_clip(path: Path) -> Path:
    """coffee 0-3 s, astronaut 3-6 s, coffee 6-9 s: the coffee labels appear twice."""
    from videobuild import encode_timeline, photo

    coffee, astronaut = photo("coffee"), photo("astronaut")
    return encode_timeline(path, [(coffee, 3), (astronaut, 3), (coffee, 3)], fps=10)


def drop_file(page: Page, path: Path) -> None:
    """Drag a file over the library and drop it, the way a file manager does."""
    page.evaluate(
        """({b64, name}) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, {type: "video/mp4"}));
            window.__drop = data;
            const target = document.getElementById("library-grid");
            for (const type of ["dragenter", "dragover"])
                target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
        }""",
        {"b64": base64.b64encode(path.read_bytes()).decode(), "name": path.name},
    )
    expect(page.locator(".drop-overlay")).to_be_visible()
    page.evaluate(
        """() => document.getElementById("library-grid").dispatchEvent(
            new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: window.__drop}))"""
    )
    expect(page.locator(".drop-overlay")).to_be_hidden()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def portal(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    data_dir = tmp_path_factory.mktemp("portal-data")
    settings = Settings(data_dir=data_dir, api_key=API_KEY, workers=1, job_poll_seconds=0.2)
    server = LiveServer(settings)
    api = Api(server.url)
    # bypass_csp: Playwright's wait_for_function evaluates its predicate with eval(), which the
    # portal's Content-Security-Policy forbids; the renewal test runs the portal under it.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True, bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    portal = Portal(server, api, page, {}, {})
    context.on("request", lambda request: portal.requests.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, server.url)
        # Every state the cards go through, to check the live progress afterwards.
        page.evaluate(
            """() => {
                window.__states = [];
                new MutationObserver(() => {
                    for (const s of document.querySelectorAll("#library-grid .state"))
                        window.__states.push(s.textContent);
                }).observe(document.getElementById("library-grid"),
                           {subtree: true, childList: true, characterData: true});
            }"""
        )
        # Upload by button, slowed down so the progress bar is seen moving.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 400_000},
        )
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Upload", exact=True).click()
        chooser.value.set_files(str(DATA / "bikes.mp4"))
        upload = page.locator(".upload", has_text="bikes.mp4")
        expect(upload).to_be_visible()
        bar = upload.locator("progress")
        page.wait_for_function(
            "el => el.value > 0 && el.value < 100", arg=bar.element_handle(), timeout=10_000
        )  # part way: upload progress is live
        expect(upload).to_be_hidden(timeout=30_000)
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        # Upload by drag-and-drop.
        drop_file(page, encode_repeat_clip(tmp_path_factory.mktemp("clips") / "repeat.mp4"))
        for clip in ("bikes", "repeat"):
            card = page.locator(".card", has=page.get_by_role("link", name=clip, exact=True))
            expect(card.locator(".state")).to_have_text("Processed", timeout=TIMEOUT_MS)
            portal.ids[clip] = card.get_attribute("data-video-id") or ""
            portal.docs[clip] = api.index(ACCOUNT, portal.ids[clip])
        portal.states_seen = page.evaluate("window.__states")
        yield portal
        assert not errors, errors
    finally:
        context.close()
        api.close()
        server.stop()


def player_state(page: Page) -> dict:
    return page.evaluate(
        """() => { const v = document.getElementById("player");
            return {t: v.currentTime, ready: v.readyState, seeking: v.seeking, paused: v.paused,
                    width: v.videoWidth, src: v.currentSrc, error: v.error && v.error.code}; }"""
    )


def record_seeks(page: Page) -> None:
    """Record the player's currentTime at each `seeked`, and hold playback: selecting a
    label seeks and plays, and a playing clock would move on before the check. The calls
    to play() are counted instead; window.__realPlay still plays."""
    page.evaluate(
        """() => { const v = document.getElementById("player"); window.__seeks = []; window.__plays = 0;
            v.addEventListener("seeked", () => window.__seeks.push(v.currentTime));
            window.__realPlay = HTMLMediaElement.prototype.play;
            v.play = () => { window.__plays += 1; return Promise.resolve(); }; }"""
    )


def next_seek(page: Page, count: int) -> float:
    """The player's currentTime at its next `seeked` event (the count-th since recording)."""
    page.wait_for_function(f"window.__seeks.length >= {count}")
    return page.evaluate(f"window.__seeks[{count - 1}]")


def open_video(portal: Portal, clip: str, fragment: str = "") -> Page:
    page = portal.page
    portal.open(f"/videos/{portal.ids[clip]}{fragment}")
    expect(page.locator("h1")).to_have_text(clip)
    expect(page.locator("#language-select")).to_be_enabled()
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    return page


def label_with_instances(portal: Portal, at_least: int = 2) -> tuple[str, dict]:
    """A label on screen at least twice: from the real clip if it has one, else from the
    clip made of photos."""
    for clip in ("bikes", "repeat"):
        for label in labels_of(portal.docs[clip]):
            if len(label["instances"]) >= at_least:
                return clip, label
    pytest.fail(f"no label with {at_least} instances: {[labels_of(d) for d in portal.docs.values()]}")


# --------------------------------------------------------------------------- tests


def test_sign_in_keeps_an_access_token_in_session_storage(portal: Portal) -> None:
    session = session_of(portal.page)
    assert session["accountId"] == ACCOUNT and session["location"] == "trial"
    claims = token_claims(session["token"])
    assert claims["AccountId"] == ACCOUNT and claims["AllowEdit"] == "True"
    assert claims["exp"] > time.time() + 600


def test_library_cards(portal: Portal) -> None:
    page = portal.page
    portal.open("/")
    cards = page.locator("#library-grid .card")
    expect(cards).to_have_count(2)
    assert cards.first.get_attribute("data-video-id") == portal.ids["repeat"]  # newest first
    bikes = page.locator(f'.card[data-video-id="{portal.ids["bikes"]}"]')
    expect(bikes.locator(".duration")).to_have_text("0:10")
    expect(bikes.locator(".state")).to_have_text("Processed")
    thumbnail = bikes.locator("img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => img.naturalWidth") == 640
    # The live progress was seen, in an aria-live region.
    assert any(re.fullmatch(r"Indexing \d+%|Queued for indexing", s) for s in portal.states_seen), portal.states_seen
    assert bikes.locator(".state").get_attribute("aria-live") == "polite"


def test_label_selection_and_instance_navigation(portal: Portal) -> None:
    clip, label = label_with_instances(portal)
    starts = [seconds(i["start"]) for i in label["instances"]]
    page = open_video(portal, clip)
    record_seeks(page)
    button = page.locator(f'button.label[data-label-id="{label["id"]}"]')
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    assert abs(next_seek(page, 1) - starts[0]) <= 0.1
    assert page.evaluate("window.__plays") == 1  # and plays from there
    expect(button).to_have_attribute("aria-pressed", "true")
    instances = page.locator(".selection button.instance")
    expect(instances).to_have_count(len(starts))
    expect(instances.nth(0)).to_have_attribute("aria-current", "true")
    expect(page.locator(".sel-position")).to_have_text(f"Instance 1 of {len(starts)}")
    previous = page.get_by_role("button", name="Play Previous")
    expect(previous).to_be_disabled()

    page.get_by_role("button", name="Play Next").click()
    assert abs(next_seek(page, 2) - starts[1]) <= 0.1
    expect(instances.nth(1)).to_have_attribute("aria-current", "true")
    expect(instances.nth(0)).not_to_have_attribute("aria-current", "true")
    expect(page.locator(".sel-position")).to_have_text(f"Instance 2 of {len(starts)}")

    previous.click()
    assert abs(next_seek(page, 3) - starts[0]) <= 0.1
    expect(instances.nth(0)).to_have_attribute("aria-current", "true")

    # The timeline: a bar per instance; clicking one plays it.
    bars = page.locator(f'#timeline .tl-bar[data-label-id="{label["id"]}"]')
    expect(bars).to_have_count(len(starts))
    bars.nth(1).click()
    assert abs(next_seek(page, 4) - starts[1]) <= 0.1
    expect(bars.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))

    # While the player is inside the instance, it is lit.
    page.evaluate(
        "t => { const v = document.getElementById('player'); v.pause(); v.currentTime = t; }", starts[1]
    )
    next_seek(page, 5)
    expect(instances.nth(1)).to_have_class(re.compile(r"\bplaying\b"))
    expect(bars.nth(1)).to_have_class(re.compile(r"\bplaying\b"))

    state = player_state(page)
    assert state["error"] is None
    if page.evaluate(f"document.createElement('video').canPlayType('{H264}')"):
        # Frames decode and the clock runs: this Chromium plays H.264.
        assert state["width"] > 0 and state["ready"] >= 2
        page.evaluate("() => window.__realPlay.call(document.getElementById('player'))")
        page.wait_for_function(f"document.getElementById('player').currentTime > {starts[1] + 0.2}")
        page.evaluate("document.getElementById('player').pause()")


def test_sort_and_filter(portal: Portal) -> None:
    page = open_video(portal, "repeat")
    labels = labels_of(portal.docs["repeat"])
    names = page.locator("button.label .label-name")
    expect(names).to_have_count(len(labels))

    def shown() -> list[str]:
        return names.all_text_contents()

    by_start = sorted(labels, key=lambda label: (seconds(label["instances"][0]["start"]), label["id"]))
    assert shown() == [label["name"] for label in by_start]
    page.get_by_label("Sort by").select_option("name")
    expect(names.first).to_have_text(sorted(label["name"] for label in labels)[0])
    page.get_by_label("Sort by").select_option("duration")

    def total(label: dict) -> float:
        return sum(seconds(i["end"]) - seconds(i["start"]) for i in label["instances"])

    longest = max(labels, key=lambda label: (total(label), -seconds(label["instances"][0]["start"])))
    expect(names.first).to_have_text(longest["name"])

    target = labels[-1]["name"]
    page.get_by_label("Filter labels").fill(target[:3])
    expected = [label["name"] for label in labels if target[:3].lower() in label["name"].lower()]
    expect(names).to_have_count(len(expected))
    expect(page.locator(".filter-status")).to_contain_text(f"of {len(labels)} labels")
    # The timeline shows the same labels as the panel.
    expect(page.locator("#timeline .tl-row")).to_have_count(len(expected))
    page.get_by_label("Filter labels").fill("")
    expect(names).to_have_count(len(labels))


def test_language_menu_translates_without_reloading_the_video(portal: Portal) -> None:
    clip = "repeat"  # cup, person, ...: names every language has (a rickshaw has none in Hebrew)
    label = labels_of(portal.docs[clip])[0]
    video_id = portal.ids[clip]
    page = open_video(portal, clip)
    options = page.locator("#language-select option")
    languages = portal.api.http.get("/trial/SupportedLanguages").json()
    expect(options).to_have_count(len(languages))
    page.locator(f'button.label[data-label-id="{label["id"]}"]').click()
    page.evaluate("() => { const v = document.getElementById('player'); v.pause(); v.__marker = 'same element'; }")
    before = player_state(page)
    english = {item["name"] for item in labels_of(portal.docs[clip])}
    panel = page.locator("#insights")
    names = page.locator("button.label .label-name")

    for code, direction in (("he-IL", "rtl"), ("ja-JP", "ltr")):
        translated = {item["name"] for item in labels_of(portal.api.index(ACCOUNT, video_id, language=code))}
        assert translated != english
        page.get_by_label("Language").select_option(code)
        expect(panel).to_have_attribute("lang", code)
        expect(panel).to_have_attribute("dir", direction)
        page.wait_for_function(
            "expected => { const shown = [...document.querySelectorAll('button.label .label-name')]"
            ".map(e => e.textContent);"
            " return shown.length === expected.length && shown.every(n => expected.includes(n)); }",
            arg=sorted(translated),
        )
        assert set(names.all_text_contents()) == translated
        # The selection and the player are untouched: same element, same source, same time.
        expect(page.locator(f'button.label[data-label-id="{label["id"]}"]')).to_have_attribute("aria-pressed", "true")
        after = player_state(page)
        assert page.evaluate("document.getElementById('player').__marker") == "same element"
        assert after["src"] == before["src"] and abs(after["t"] - before["t"]) < 0.01

    page.get_by_label("Language").select_option("en-US")
    expect(panel).to_have_attribute("dir", "ltr")
    expect(panel).to_have_attribute("lang", "en-US")


def test_download_insights_json(portal: Portal) -> None:
    page = open_video(portal, "bikes")
    page.get_by_label("Language").select_option("fr-FR")
    expect(page.locator("#insights")).to_have_attribute("lang", "fr-FR")
    page.get_by_role("button", name="Download").click()
    item = page.get_by_role("menuitem", name="Insights (JSON)")
    expect(item).to_be_visible()
    with page.expect_download() as download:
        item.click()
    assert download.value.suggested_filename == "bikes.fr-FR.insights.json"
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved == portal.api.index(ACCOUNT, portal.ids["bikes"], language="fr-FR")
    expect(item).to_be_hidden()  # the menu closes
    page.get_by_label("Language").select_option("en-US")
    expect(page.locator("#insights")).to_have_attribute("lang", "en-US")


def test_search_opens_a_moment(portal: Portal) -> None:
    clip, label = label_with_instances(portal)
    video_id = portal.ids[clip]
    japanese = {item["id"]: item["name"] for item in labels_of(portal.api.index(ACCOUNT, video_id, language="ja-JP"))}
    page = portal.page
    portal.open("/")
    starts = [seconds(i["start"]) for i in label["instances"]]
    for name in (label["name"], japanese[label["id"]]):  # English, then Japanese: any language
        query = f'"{name}"' if " " in name else name
        search = page.get_by_role("searchbox", name="Search videos by label")
        search.fill(query)
        search.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Videos with “{query}”")
        result = page.locator(f'.result[data-video-id="{video_id}"]')
        expect(result).to_be_visible()
        # A moment for every instance (matches of other labels may come too).
        shown = result.locator("a.moment").evaluate_all("links => links.map((a) => Number(a.dataset.start))")
        assert all(any(abs(s - t) < 0.01 for s in shown) for t in starts), (shown, starts)
    # Open the second instance's moment: the video page, paused there.
    result.locator(f'a.moment[data-start="{starts[1]:g}"]').first.click()
    expect(page).to_have_url(re.compile(rf"#/videos/{video_id}\?t="))
    start = starts[1]
    page.wait_for_function(
        "t => { const v = document.getElementById('player');"
        " return v && v.readyState >= 1 && !v.seeking && Math.abs(v.currentTime - t) <= 0.1; }",
        arg=start,
    )
    assert abs(player_state(page)["t"] - start) <= 0.1


def test_reindex_and_delete(portal: Portal) -> None:
    r = portal.api.upload(ACCOUNT, DATA / "realshort.mp4", name="realshort")
    video_id = r.json()["id"]
    portal.api.wait(ACCOUNT, video_id)
    page = portal.page
    portal.open("/")
    card = page.locator(f'.card[data-video-id="{video_id}"]')
    expect(card.locator(".state")).to_have_text("Processed")
    card.get_by_role("button", name="Re-index").click()
    expect(card.get_by_role("button", name="Re-index")).to_be_disabled()  # busy
    expect(card.locator(".state")).to_have_text("Processed", timeout=TIMEOUT_MS)
    expect(card.get_by_role("button", name="Re-index")).to_be_enabled()

    card.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete “realshort”?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(card).to_be_visible()
    card.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
    r = portal.api.call("GET", ACCOUNT, f"/Videos/{video_id}/Index")
    assert r.status_code == 404


def test_keyboard_and_screen_reader_semantics(portal: Portal) -> None:
    clip, label = label_with_instances(portal)
    page = open_video(portal, clip)
    record_seeks(page)
    # Labels are buttons; the keyboard selects them.
    button = page.get_by_role("button", name=re.compile(re.escape(label["name"])))
    button.first.focus()
    page.keyboard.press("Enter")
    assert abs(next_seek(page, 1) - seconds(label["instances"][0]["start"])) <= 0.1
    snapshot = page.locator("#insights").aria_snapshot()
    assert re.search(r'button "' + re.escape(label["name"]) + r'[^"]*" \[pressed\]', snapshot), snapshot
    assert 'button "Play Next"' in snapshot and 'button "Play Previous"' in snapshot
    # Everything needed is reachable with Tab: the player (its native controls), the
    # language menu, Download, the filter, the labels and the instance buttons.
    page.locator("h1").focus()
    reached: list[str] = []
    for _ in range(120):  # the native controls take several stops inside the <video>
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.id || e.getAttribute('aria-label') || e.textContent.trim().slice(0, 40); }"
            )
        )
        if reached[-1].startswith("Play Next"):
            break
    for expected in ("language-select", "download-button", "player", "label-filter", "Play Next"):
        assert any(r.startswith(expected) for r in reached), " | ".join(reached)
    # Every control has an accessible name.
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll("button, select, input, a[href], video")]
            .filter((e) => e.offsetParent !== null && e.getAttribute("aria-hidden") !== "true")
            .filter((e) => !(e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || e.labels?.length
                             || e.textContent.trim() || e.title))
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    assert page.locator("#announcer[aria-live=polite]").count() == 1


def test_phone_sized_screen(portal: Portal) -> None:
    page = portal.page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        portal.open("/")
        expect(page.locator("#library-grid .card").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        clip, label = label_with_instances(portal)
        open_video(portal, clip)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        player = page.locator("#player").bounding_box()
        panel = page.locator("#insights").bounding_box()
        assert player and panel and player["width"] > 300
        assert panel["y"] >= player["y"] + player["height"]  # one column: insights under the player
        button = page.locator(f'button.label[data-label-id="{label["id"]}"]')
        box = button.bounding_box()
        assert box and box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= 390
        record_seeks(page)
        button.click()
        assert abs(next_seek(page, 1) - seconds(label["instances"][0]["start"])) <= 0.1
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_everything_is_served_by_the_app(portal: Portal) -> None:
    page = portal.page
    page.goto(f"{portal.url}/docs")
    expect(page.get_by_role("heading", name="Videos", exact=True)).to_be_visible()
    index_route = page.locator("details summary", has_text="/{location}/Accounts/{accountId}/Videos/{videoId}/Index")
    expect(index_route).to_have_count(1)
    assert portal.api.http.get("/openapi.json").status_code == 200
    assert portal.api.http.get("/redoc").status_code == 404
    home = portal.api.http.get("/")
    assert "default-src 'self'" in home.headers["content-security-policy"]
    foreign = [u for u in portal.requests if not u.startswith((portal.url, "blob:", "data:"))]
    assert foreign == []


def test_token_is_renewed_before_it_expires(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path_factory.mktemp("renewal"), api_key=API_KEY, workers=0, token_ttl_seconds=8)
    server = LiveServer(settings)
    context = browser.new_context()  # no bypass_csp: the portal runs under its own policy
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        sign_in(page, server.url, "renewal")
        first = session_of(page)["token"]
        expires = token_claims(first)["exp"]
        deadline = time.time() + 10
        while (second := session_of(page)["token"]) == first and time.time() < deadline:
            time.sleep(0.1)
        assert second != first
        assert time.time() < expires  # renewed ahead of expiry
        assert token_claims(second)["exp"] > expires
        # Past the first token's expiry the portal keeps working without signing in again.
        time.sleep(max(0.0, expires + 0.5 - time.time()))
        page.reload()
        expect(page.get_by_role("heading", name=re.compile("^Library"))).to_be_visible()
        expect(page.locator(".empty")).to_be_visible()
        expect(page.locator("#library .error")).to_be_hidden()
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
        server.stop()
