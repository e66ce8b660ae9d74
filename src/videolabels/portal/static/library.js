// The Library: the account's videos as cards (thumbnail, name, duration, state, live
// indexing progress), upload by button or drag-and-drop with upload progress, delete
// and re-index.

import { announce, clear, h, uniqueId } from "./dom.js";
import { formatClock } from "./time.js";

const BUSY_STATES = new Set(["Uploaded", "Processing"]);
const FAST_POLL_MS = 1500;
const IDLE_POLL_MS = 15000;

function percentOf(video) {
  const value = parseInt(video.processingProgress, 10);
  return Number.isFinite(value) ? Math.max(0, Math.min(100, value)) : 0;
}

function stateText(video) {
  switch (video.state) {
    case "Uploaded":
      return "Queued for indexing";
    case "Processing":
      return `Indexing ${percentOf(video)}%`;
    case "Failed":
      return `Failed: ${video.failureMessage || video.failureCode}`;
    default:
      return video.state;
  }
}

function baseName(fileName) {
  return fileName.replace(/\.[^.]+$/, "") || fileName;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function libraryView(api, root) {
  document.title = "Library · videolabels";
  let alive = true;
  let pollTimer = 0;
  let controller = null;
  let uploading = 0;
  const cards = new Map(); // video id -> {el, update(video)}

  // -- layout -------------------------------------------------------------------
  const fileInput = h("input", {
    type: "file", accept: "video/*,.mkv,.avi,.mov,.mpg,.webm", multiple: true,
    class: "visually-hidden", id: "upload-input", tabindex: "-1", "aria-hidden": "true",
  });
  const uploadButton = h("button", { type: "button", class: "primary", id: "upload-button" }, "Upload");
  const countText = h("span", { class: "count", "aria-live": "polite" });
  const uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const grid = h("ul", { class: "cards", "aria-label": "Videos", id: "library-grid" });
  const empty = h("div", { class: "empty", hidden: true },
    h("p", {}, "No videos yet."),
    h("p", {}, "Drag video files here, or choose ", h("strong", {}, "Upload"), "."));
  const error = h("p", { class: "error", role: "alert" });
  const overlay = h("div", { class: "drop-overlay", hidden: true, "aria-hidden": "true" },
    h("p", {}, "Drop videos to upload them"));
  const page = h("section", { class: "page library", id: "library", "aria-labelledby": "library-title" },
    h("div", { class: "page-head" },
      h("h1", { id: "library-title", tabindex: "-1" }, "Library ", countText),
      h("div", { class: "tools" },
        h("span", { class: "drop-hint" }, "Drag and drop videos anywhere here, or"),
        uploadButton, fileInput)),
    error, uploads, empty, grid, overlay);
  root.append(page);

  // -- confirm dialog -------------------------------------------------------------
  const dialogTitle = h("h2", { id: uniqueId("dlg") });
  const dialogText = h("p");
  const dialog = h("dialog", { class: "confirm", "aria-labelledby": dialogTitle.id },
    h("form", { method: "dialog" }, dialogTitle, dialogText,
      h("div", { class: "dialog-actions" },
        h("button", { value: "cancel", type: "submit" }, "Cancel"),
        h("button", { value: "confirm", type: "submit", class: "danger" }, "Delete"))));
  page.append(dialog);

  function confirmDelete(video) {
    dialogTitle.textContent = `Delete “${video.name}”?`;
    dialogText.textContent = "The video, its insights and its thumbnails are removed for good.";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true }));
  }

  // -- cards --------------------------------------------------------------------
  function makeCard(video) {
    const titleId = uniqueId("card");
    const img = h("img", { alt: "", loading: "lazy", decoding: "async" });
    const placeholder = h("span", { class: "thumb-placeholder", "aria-hidden": "true" });
    const duration = h("span", { class: "duration" });
    const thumbLink = h("a", { class: "thumb", tabindex: "-1", "aria-hidden": "true" }, placeholder, img, duration);
    const nameLink = h("a", { class: "name-link" });
    const state = h("p", { class: "state", "aria-live": "polite" });
    const bar = h("progress", { max: "100", "aria-labelledby": titleId });
    const reindex = h("button", { type: "button", class: "quiet" }, "Re-index");
    const remove = h("button", { type: "button", class: "quiet danger" }, "Delete");
    const el = h("li", { class: "card", dataset: { videoId: video.id } },
      thumbLink,
      h("div", { class: "meta" },
        h("h2", { id: titleId, class: "card-title" }, nameLink),
        state, bar,
        h("div", { class: "actions" }, reindex, remove)));
    let latest = video;
    let thumbnailId = null;

    reindex.addEventListener("click", async () => {
      reindex.disabled = true;
      try {
        await api.reindex(latest.id);
        announce(`Re-indexing ${latest.name}`);
        update({ ...latest, state: "Uploaded", processingProgress: "0%" });
        poll(0);
      } catch (e) {
        showError(`Could not re-index ${latest.name}: ${e.message}`);
        reindex.disabled = false;
      }
    });
    remove.addEventListener("click", async () => {
      if (!(await confirmDelete(latest))) return remove.focus();
      remove.disabled = true;
      try {
        await api.deleteVideo(latest.id);
        const next = el.nextElementSibling || el.previousElementSibling;
        el.remove();
        cards.delete(latest.id);
        updateCount();
        announce(`Deleted ${latest.name}`);
        (next?.querySelector(".name-link") || uploadButton).focus();
      } catch (e) {
        showError(`Could not delete ${latest.name}: ${e.message}`);
        remove.disabled = false;
      }
    });

    function update(v) {
      latest = v;
      const href = `#/videos/${encodeURIComponent(v.id)}`;
      thumbLink.href = href;
      nameLink.href = href;
      nameLink.textContent = v.name;
      el.dataset.state = v.state;
      const busy = BUSY_STATES.has(v.state);
      state.textContent = stateText(v);
      state.className = `state state-${v.state.toLowerCase()}`;
      bar.hidden = !busy;
      if (v.state === "Processing") bar.value = percentOf(v);
      else bar.removeAttribute("value"); // indeterminate while queued
      duration.textContent = v.durationInSeconds ? formatClock(v.durationInSeconds) : "";
      duration.hidden = !v.durationInSeconds;
      reindex.disabled = busy;
      if (v.thumbnailId !== thumbnailId) {
        thumbnailId = v.thumbnailId;
        const src = api.thumbnailUrl(v.id, v.thumbnailId);
        img.hidden = !src;
        if (src) img.src = src;
        else img.removeAttribute("src");
      }
    }
    update(video);
    return { el, update };
  }

  function updateCount() {
    const n = cards.size;
    countText.textContent = `(${n} video${n === 1 ? "" : "s"})`;
    empty.hidden = n > 0;
  }

  function render(videos) {
    const seen = new Set();
    let previous = null;
    for (const video of videos) {
      seen.add(video.id);
      let card = cards.get(video.id);
      if (!card) {
        card = makeCard(video);
        cards.set(video.id, card);
      } else {
        card.update(video);
      }
      // Keep the API's order (newest first) without re-creating nodes.
      const at = previous ? previous.nextElementSibling : grid.firstElementChild;
      if (at !== card.el) grid.insertBefore(card.el, at);
      previous = card.el;
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.el.remove();
        cards.delete(id);
      }
    }
    updateCount();
  }

  function showError(message) {
    error.textContent = message;
  }

  // -- polling ------------------------------------------------------------------
  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    try {
      const videos = await api.listVideos({ signal: controller.signal });
      if (!alive) return;
      render(videos);
      error.textContent = "";
      const busy = uploading > 0 || videos.some((v) => BUSY_STATES.has(v.state));
      poll(busy ? FAST_POLL_MS : IDLE_POLL_MS);
    } catch (e) {
      if (!alive || e.name === "AbortError") return;
      showError(`Could not load the library: ${e.message}`);
      poll(IDLE_POLL_MS);
    }
  }

  function poll(delay) {
    clearTimeout(pollTimer);
    if (alive) pollTimer = setTimeout(refresh, delay);
  }

  // -- uploads ------------------------------------------------------------------
  function uploadFiles(files) {
    for (const file of files) uploadOne(file);
  }

  function uploadOne(file) {
    const name = baseName(file.name);
    const labelId = uniqueId("up");
    const bar = h("progress", { max: "100", value: "0", "aria-labelledby": labelId });
    const text = h("span", { class: "upload-text", "aria-live": "polite" }, "0%");
    const cancel = h("button", { type: "button", class: "quiet", "aria-label": `Cancel upload of ${file.name}` }, "Cancel");
    const item = h("li", { class: "upload", dataset: { file: file.name } },
      h("span", { id: labelId, class: "upload-name" }, `Uploading ${file.name} (${formatBytes(file.size)})`),
      bar, text, cancel);
    uploads.append(item);
    uploading += 1;
    announce(`Uploading ${file.name}`);
    let lastSaid = 0;
    const { promise, abort } = api.upload(file, {
      name,
      onProgress(loaded, total) {
        const percent = total ? Math.floor((loaded / total) * 100) : 0;
        bar.value = percent;
        // The live text changes in steps of 10% so screen readers are not flooded.
        if (percent === 100 || percent - lastSaid >= 10) {
          lastSaid = percent;
          text.textContent = percent === 100 ? "100%, processing the upload…" : `${percent}%`;
        }
      },
    });
    cancel.addEventListener("click", abort);
    promise
      .then((video) => {
        item.remove();
        announce(`Uploaded ${file.name}; indexing starts.`);
        if (alive && video && !cards.has(video.id)) {
          const card = makeCard(video);
          cards.set(video.id, card);
          grid.prepend(card.el);
          updateCount();
        }
      })
      .catch((e) => {
        bar.remove();
        cancel.remove();
        text.textContent = "";
        item.classList.add("failed");
        item.firstChild.textContent = `${file.name}: ${e.message}`;
        item.setAttribute("role", "alert");
        item.append(h("button", { type: "button", class: "quiet", onclick: () => item.remove() }, "Dismiss"));
      })
      .finally(() => {
        uploading -= 1;
        poll(0);
      });
  }

  uploadButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    uploadFiles([...fileInput.files]);
    fileInput.value = "";
  });

  // Drag and drop anywhere on the library page.
  let dragDepth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  const onDragEnter = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth += 1;
    overlay.hidden = false;
  };
  const onDragOver = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  };
  const onDragLeave = (e) => {
    if (!hasFiles(e)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) overlay.hidden = true;
  };
  const onDrop = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    overlay.hidden = true;
    uploadFiles([...e.dataTransfer.files]);
  };
  document.addEventListener("dragenter", onDragEnter);
  document.addEventListener("dragover", onDragOver);
  document.addEventListener("dragleave", onDragLeave);
  document.addEventListener("drop", onDrop);

  refresh();

  return {
    unmount() {
      alive = false;
      clearTimeout(pollTimer);
      controller?.abort();
      document.removeEventListener("dragenter", onDragEnter);
      document.removeEventListener("dragover", onDragOver);
      document.removeEventListener("dragleave", onDragLeave);
      document.removeEventListener("drop", onDrop);
      clear(page);
    },
  };
}
