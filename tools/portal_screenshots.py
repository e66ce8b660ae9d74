"""Screenshots of the web portal for the docs: docs/screenshots/{library,video,phone}.png.

Starts `videolabels serve`'s app on a free loopback port with a throw-away data dir,
uploads a few clips from tests/data plus one encoded from real photos (coffee, astronaut,
coffee: labels that come back, so the timeline has something to show), waits for them
to be indexed, then drives Debian's Chromium with Playwright.

    PYTHONPATH=src python tools/portal_screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Needs the test extras (playwright, scikit-image) and a Chromium binary; nothing is
downloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
KEY = "portal-screenshots"
ACCOUNT = "demo"
LOCATION = "trial"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
CLIPS = ["bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4"]


def start_server(data_dir: Path):  # type: ignore[no-untyped-def]
    import uvicorn

    from videolabels.service import Settings
    from videolabels.service.app import create_app
    from videolabels.service.server import bind, url_of

    settings = Settings(data_dir=data_dir, api_key=KEY, workers=1, job_poll_seconds=0.2)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return server, thread, url_of(sock, "127.0.0.1")


def photo_clip(path: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from videobuild import encode_timeline, photo

    coffee, astronaut = photo("coffee"), photo("astronaut")
    return encode_timeline(path, [(coffee, 3), (astronaut, 3), (coffee, 3)], fps=10)


def upload_all(url: str, files: list[tuple[str, Path]]) -> dict[str, str]:
    http = httpx.Client(base_url=url, timeout=60)
    token = http.get(
        f"/Auth/{LOCATION}/Accounts/{ACCOUNT}/AccessToken",
        params={"allowEdit": "true"},
        headers={"Ocp-Apim-Subscription-Key": KEY},
    ).json()
    ids = {}
    for name, path in files:
        with path.open("rb") as f:
            r = http.post(
                f"/{LOCATION}/Accounts/{ACCOUNT}/Videos",
                params={"name": name, "accessToken": token},
                files={"file": (path.name, f, "video/mp4")},
            )
        r.raise_for_status()
        ids[name] = r.json()["id"]
    for name, video_id in ids.items():
        deadline = time.monotonic() + 300
        while True:
            path = f"/{LOCATION}/Accounts/{ACCOUNT}/Videos/{video_id}/Index"
            doc = http.get(path, params={"accessToken": token}).json()
            if doc["state"] in ("Processed", "Failed"):
                print(f"{name}: {doc['state']}, {len(doc['videos'][0]['insights'].get('labels', []))} labels")
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} is still {doc['state']}")
            time.sleep(0.3)
    http.close()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server, thread, url = start_server(Path(tmp) / "data")
        try:
            files = [(Path(c).stem, DATA / c) for c in CLIPS]
            files.append(("coffee and astronaut", photo_clip(Path(tmp) / "coffee-astronaut.mp4")))
            ids = upload_all(url, files)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                context = browser.new_context(
                    # bypass_csp: wait_for_function evaluates with eval(), which the portal's CSP forbids.
                    viewport={"width": 1280, "height": 800},
                    color_scheme="light",
                    bypass_csp=True,
                )
                page = context.new_page()
                page.goto(f"{url}/")
                page.get_by_label("Account ID").fill(ACCOUNT)
                page.get_by_label("API key").fill(KEY)
                page.locator("form.login").get_by_role("button", name="Sign in").click()
                cards = page.locator("#library-grid .card")
                expect(cards).to_have_count(len(files))
                page.wait_for_function(
                    "() => [...document.querySelectorAll('#library-grid img')].every(i => i.complete && i.naturalWidth)"
                )
                page.screenshot(path=str(args.out / "library.png"))
                print("wrote", args.out / "library.png")

                page.set_viewport_size({"width": 1280, "height": 900})  # room for the whole timeline
                page.goto(f"{url}/#/videos/{ids['coffee and astronaut']}")
                page.wait_for_function("document.getElementById('player').readyState >= 1")
                label = page.locator("button.label").first
                label.click()
                page.get_by_role("button", name="Play Next").click()
                page.evaluate("() => { const v = document.getElementById('player'); v.pause(); v.currentTime = 6.5; }")
                page.wait_for_function(
                    "() => { const v = document.getElementById('player'); return !v.seeking && v.readyState >= 2; }"
                )
                page.locator("#player").hover()
                page.wait_for_timeout(300)
                page.screenshot(path=str(args.out / "video.png"))
                print("wrote", args.out / "video.png")

                page.set_viewport_size({"width": 390, "height": 844})
                page.get_by_label("Language").select_option("he-IL")
                expect(page.locator("#insights")).to_have_attribute("dir", "rtl")
                page.mouse.move(0, 0)
                page.wait_for_timeout(300)
                page.screenshot(path=str(args.out / "phone.png"), full_page=True)
                print("wrote", args.out / "phone.png")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(30)


if __name__ == "__main__":
    main()
