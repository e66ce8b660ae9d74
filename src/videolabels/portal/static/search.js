// Search across the library by label, in any supported language (Video Indexer's
// Search Videos): the matching videos and, for each, the moments the label is on
// screen. A moment opens the video at that time.

import { h } from "./dom.js";
import { formatClock, parseTimeSpan, spokenTime } from "./time.js";

export function searchView(api, root, { query, language }) {
  document.title = `Search: ${query} · videolabels`;
  let alive = true;
  const controller = new AbortController();
  const status = h("p", { class: "search-status", role: "status" }, query ? "Searching…" : "");
  const results = h("ol", { class: "results", "aria-label": "Matching videos" });
  const error = h("p", { class: "error", role: "alert" });
  const page = h("section", { class: "page search-page", "aria-labelledby": "search-title" },
    h("h1", { id: "search-title", tabindex: "-1" }, query ? `Videos with “${query}”` : "Search"),
    h("p", { class: "hint" },
      "Label names in any supported language. ",
      h("code", {}, "car truck"), " either, ", h("code", {}, "person +car"), " both, ",
      h("code", {}, "car -person"), " without, ", h("code", {}, "\"potted plant\""), " a phrase, ",
      h("code", {}, "flower*"), " a prefix."),
    status, error, results);
  root.append(page);

  function renderVideo(video) {
    const href = (seconds) =>
      `#/videos/${encodeURIComponent(video.id)}` + (seconds === undefined ? "" : `?t=${Number(seconds.toFixed(3))}`);
    const src = api.thumbnailUrl(video.id, video.thumbnailId);
    const matches = video.searchMatches || [];
    const moments = h("ul", { class: "moments", "aria-label": `Moments in ${video.name}` },
      matches.map((match) => {
        const seconds = parseTimeSpan(match.startTime);
        return h("li", {},
          h("a", {
            class: "moment",
            href: href(seconds),
            dataset: { start: String(seconds) },
            "aria-label": `${match.text} at ${spokenTime(seconds)} in ${video.name}`,
          },
            h("span", { class: "moment-time", dir: "ltr" }, formatClock(seconds)),
            h("span", { class: "moment-text", dir: "auto" }, match.text)));
      }));
    return h("li", { class: "result", dataset: { videoId: video.id } },
      h("a", { class: "thumb", href: href(), tabindex: "-1", "aria-hidden": "true" },
        src ? h("img", { src, alt: "", loading: "lazy" }) : h("span", { class: "thumb-placeholder" }),
        video.durationInSeconds ? h("span", { class: "duration" }, formatClock(video.durationInSeconds)) : null),
      h("div", { class: "meta" },
        h("h2", { class: "card-title" }, h("a", { class: "name-link", href: href() }, video.name)),
        h("p", { class: "match-count" }, `${matches.length} moment${matches.length === 1 ? "" : "s"}`),
        moments));
  }

  if (query) {
    api.search(query, { language: language || undefined, signal: controller.signal })
      .then((body) => {
        if (!alive) return;
        const found = body.results || [];
        status.textContent = found.length
          ? `${found.length} video${found.length === 1 ? "" : "s"} found.`
          : "No video has a label that matches.";
        for (const video of found) results.append(renderVideo(video));
      })
      .catch((e) => {
        if (!alive || e.name === "AbortError") return;
        status.textContent = "";
        error.textContent = `Search failed: ${e.message}`;
      });
  }

  return {
    unmount() {
      alive = false;
      controller.abort();
    },
  };
}
