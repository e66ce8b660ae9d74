// The video page: the player (the API's Range-served source file) beside the Insights
// panel, the timeline under the player, the language menu and Download -> Insights (JSON).

import { announce, h, uniqueId } from "./dom.js";
import { InsightsPanel, labelsOf } from "./insights.js";
import { Timeline } from "./timeline.js";
import { parseTimeSpan } from "./time.js";

const LANGUAGE_KEY = "videolabels.language";
const POLL_MS = 1500;

function storedLanguage() {
  try {
    return localStorage.getItem(LANGUAGE_KEY) || "";
  } catch {
    return "";
  }
}

function safeFileName(name) {
  return (name || "video").replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_").trim() || "video";
}

/** A small accessible menu button: Enter/Space/ArrowDown open it, arrows move, Escape closes. */
function menuButton(label, items, { id }) {
  const menuId = uniqueId("menu");
  const button = h("button", { type: "button", id, "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": menuId },
    label, h("span", { "aria-hidden": "true", class: "caret" }, " ▾"));
  const entries = items.map((item) =>
    h("button", { type: "button", role: "menuitem", tabindex: "-1", onclick: () => { close(); item.action(); } }, item.label));
  const menu = h("ul", { role: "menu", id: menuId, class: "menu", hidden: true, "aria-labelledby": id },
    entries.map((entry) => h("li", { role: "none" }, entry)));
  const wrap = h("div", { class: "menu-wrap" }, button, menu);

  function open(focusIndex = 0) {
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    entries[focusIndex]?.focus();
    document.addEventListener("pointerdown", outside, true);
  }
  function close(refocus = false) {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (refocus) button.focus();
  }
  function outside(event) {
    if (!wrap.contains(event.target)) close();
  }
  button.addEventListener("click", () => (menu.hidden ? open() : close()));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      open(0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      open(entries.length - 1);
    }
  });
  menu.addEventListener("keydown", (event) => {
    const index = entries.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      close(true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      entries[(index + step + entries.length) % entries.length].focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      entries[event.key === "Home" ? 0 : entries.length - 1].focus();
    } else if (event.key === "Tab") {
      close();
    }
  });
  return { el: wrap, close };
}

export function videoView(api, root, { videoId, params }) {
  document.title = "Video · videolabels";
  let alive = true;
  let doc = null;
  let name = videoId;
  let languages = [];
  let language = storedLanguage();
  let loadSeq = 0;
  let pollTimer = 0;
  let pendingSeek = null;
  let sourceUrl = null;
  let lastRecovery = 0;
  let frame = 0;
  const startAt = Number.parseFloat(params.get("t") || "");

  // -- layout -------------------------------------------------------------------
  const title = h("h1", { tabindex: "-1", class: "video-title" }, "Loading…");
  const languageSelect = h("select", { id: "language-select", disabled: true });
  const download = menuButton("Download", [
    { label: "Insights (JSON)", action: () => downloadInsights() },
    { label: "Source video", action: () => downloadSource() },
  ], { id: "download-button" });
  const video = h("video", {
    controls: true, preload: "metadata", playsinline: true, id: "player", "aria-label": "Video player",
  });
  const playerMessage = h("p", { class: "player-message", role: "status" });
  const progressBar = h("progress", { max: "100", hidden: true, "aria-label": "Indexing progress" });
  const stateLine = h("div", { class: "video-state", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });

  const panel = new InsightsPanel({
    onSeek: (seconds, options) => seek(seconds, options),
    onChange: () => drawTimeline(),
  });
  const timeline = new Timeline({
    onSelect: (labelId, index) => panel.select(labelId, index),
    onSeek: (seconds) => seek(seconds),
  });
  panel.el.addEventListener("instancechange", (event) => {
    const { labelId, index, inside } = event.detail;
    timeline.setCurrent(labelId, index, inside);
  });

  const page = h("article", { class: "page video-page", "aria-labelledby": uniqueId("x") },
    h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" },
      h("a", { href: "#/" }, "Library"), h("span", { "aria-hidden": "true" }, " › ")),
    h("div", { class: "page-head" },
      title,
      h("div", { class: "tools" },
        h("label", { for: "language-select", class: "language-label" }, "Language"),
        languageSelect,
        download.el)),
    error,
    h("div", { class: "video-layout" },
      h("div", { class: "player-column" },
        h("div", { class: "player-box" }, video),
        playerMessage,
        h("div", { class: "state-box" }, stateLine, progressBar),
        timeline.el),
      h("div", { class: "insights-column" }, panel.el)));
  title.id = page.getAttribute("aria-labelledby");
  root.append(page);

  // -- the player ---------------------------------------------------------------
  function duration() {
    if (Number.isFinite(video.duration) && video.duration > 0) return video.duration;
    const fromDoc = parseTimeSpan(doc?.videos?.[0]?.insights?.duration || "");
    return Number.isFinite(fromDoc) && fromDoc > 0 ? fromDoc : doc?.durationInSeconds || 0;
  }

  function seek(seconds, { play = false } = {}) {
    const target = Math.max(0, seconds);
    panel.setTime(target);
    timeline.setTime(target);
    if (video.readyState >= 1 || video.error) {
      video.currentTime = target;
      if (play) video.play().catch(() => {});
    } else {
      pendingSeek = { target, play };
    }
  }

  function tick() {
    panel.setTime(video.currentTime);
    timeline.setTime(video.currentTime);
  }

  function animate() {
    tick();
    frame = video.paused ? 0 : requestAnimationFrame(animate);
  }

  video.addEventListener("loadedmetadata", () => {
    playerMessage.textContent = "";
    panel.setDuration(duration());
    drawTimeline();
    if (pendingSeek) {
      const { target, play } = pendingSeek;
      pendingSeek = null;
      seek(target, { play });
    }
  });
  video.addEventListener("timeupdate", tick);
  video.addEventListener("seeked", tick);
  video.addEventListener("play", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(animate);
  });
  video.addEventListener("error", async () => {
    // The source URL carries a token that expires with the session's (an expired one
    // reads as a network or "not supported" error): get a fresh URL once and carry on
    // where the player was. A second error soon after is the file itself.
    const code = video.error?.code;
    if (!alive || !video.getAttribute("src")) return;
    if (sourceUrl && Date.now() - lastRecovery > 10000) {
      lastRecovery = Date.now();
      const at = video.currentTime;
      const wasPlaying = !video.paused;
      try {
        await loadSource();
        pendingSeek = { target: at, play: wasPlaying };
        return;
      } catch {
        /* fall through */
      }
    }
    playerMessage.textContent =
      code === 4
        ? "This browser cannot play this video's format. The insights, the timeline and seeking still work; the file plays in browsers with its codec (H.264 plays in Chrome, Edge, Firefox and Safari)."
        : `The video could not be loaded (${video.error?.message || "network error"}).`;
  });

  async function loadSource() {
    sourceUrl = await api.sourceUrl(videoId);
    if (!alive) return;
    video.src = sourceUrl;
    video.load();
  }

  // -- the index ----------------------------------------------------------------
  function languageInfo(code) {
    return languages.find((l) => l.languageCode === code);
  }

  function drawTimeline() {
    const info = languageInfo(panel.language);
    timeline.render(panel.visible(), {
      duration: duration(),
      language: panel.language,
      rtl: !!info?.isRightToLeft,
      selectedId: panel.selectedId,
    });
    timeline.setTime(video.currentTime || 0);
    const label = panel.selected();
    if (label) timeline.setCurrent(label.id, panel.currentIndex, false);
  }

  function showState(current) {
    const entry = current.videos?.[0] || {};
    const state = current.state;
    const percent = parseInt(entry.processingProgress, 10) || 0;
    page.dataset.state = state;
    if (state === "Processed") {
      stateLine.textContent = "";
      progressBar.hidden = true;
    } else if (state === "Failed") {
      stateLine.textContent = `Indexing failed: ${entry.failureMessage || entry.failureCode}`;
      progressBar.hidden = true;
    } else {
      stateLine.textContent = state === "Processing" ? `Indexing… ${percent}%` : "Queued for indexing…";
      progressBar.hidden = false;
      if (state === "Processing") progressBar.value = percent;
      else progressBar.removeAttribute("value");
    }
  }

  async function loadIndex(code) {
    const seq = ++loadSeq;
    const { doc: fresh } = await api.index(videoId, { language: code || undefined, includeSummarizedInsights: false });
    if (!alive || seq !== loadSeq) return false;
    doc = fresh;
    name = doc.name || videoId;
    title.textContent = name;
    document.title = `${name} · videolabels`;
    video.setAttribute("aria-label", `Video: ${name}`);
    const shown = doc.videos?.[0]?.insights?.language || code || "en-US";
    language = shown;
    if (languageSelect.value !== shown) languageSelect.value = shown;
    panel.setLabels(labelsOf(doc), {
      language: shown,
      rtl: !!languageInfo(shown)?.isRightToLeft,
      duration: duration(),
      pending: doc.state !== "Processed" && doc.state !== "Failed",
    });
    showState(doc);
    clearTimeout(pollTimer);
    if (doc.state !== "Processed" && doc.state !== "Failed") {
      pollTimer = setTimeout(() => loadIndex(language).catch(showError), POLL_MS);
    } else if (doc.state === "Processed" && page.dataset.announced !== "1" && page.dataset.wasBusy === "1") {
      page.dataset.announced = "1";
      announce(`${name} is indexed.`);
    }
    if (doc.state !== "Processed" && doc.state !== "Failed") page.dataset.wasBusy = "1";
    return true;
  }

  function showError(e) {
    if (!alive) return;
    error.textContent = e.status === 404 ? "This video does not exist (any more)." : `Could not load the video: ${e.message}`;
  }

  languageSelect.addEventListener("change", async () => {
    const code = languageSelect.value;
    try {
      localStorage.setItem(LANGUAGE_KEY, code);
    } catch {
      /* private mode */
    }
    languageSelect.setAttribute("aria-busy", "true");
    try {
      if (await loadIndex(code)) announce(`Labels in ${languageInfo(code)?.name || code}`);
    } catch (e) {
      showError(e);
    } finally {
      languageSelect.removeAttribute("aria-busy");
    }
  });

  // -- downloads ----------------------------------------------------------------
  function save(blob, fileName) {
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: fileName, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function downloadInsights() {
    try {
      // Exactly what Get Video Index answers, in the language shown.
      const { text } = await api.index(videoId, { language });
      const suffix = language && language !== "en-US" ? `.${language}` : "";
      save(new Blob([text], { type: "application/json" }), `${safeFileName(name)}${suffix}.insights.json`);
      announce("Insights downloaded");
    } catch (e) {
      error.textContent = `Could not download the insights: ${e.message}`;
    }
  }

  async function downloadSource() {
    try {
      const url = await api.sourceUrl(videoId);
      const a = h("a", { href: url, download: "", hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      error.textContent = `Could not download the video: ${e.message}`;
    }
  }

  // -- start --------------------------------------------------------------------
  (async () => {
    try {
      languages = await api.languages();
    } catch {
      languages = [{ name: "English", languageCode: "en-US", isRightToLeft: false }];
    }
    if (!alive) return;
    const sorted = [...languages].sort((a, b) => a.name.localeCompare(b.name, "en"));
    for (const l of sorted) languageSelect.append(h("option", { value: l.languageCode }, l.name));
    if (language && !languageInfo(language)) language = "";
    try {
      await Promise.all([loadIndex(language), loadSource()]);
      languageSelect.disabled = false;
      if (Number.isFinite(startAt) && startAt >= 0) seek(startAt);
    } catch (e) {
      showError(e);
    }
  })();

  return {
    unmount() {
      alive = false;
      clearTimeout(pollTimer);
      cancelAnimationFrame(frame);
      download.close();
      video.pause();
      video.removeAttribute("src");
      video.load();
    },
  };
}
