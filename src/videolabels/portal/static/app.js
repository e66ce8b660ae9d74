// The portal's entry point: the shell (top bar, search box, sign-out), a hash router
// (#/ library, #/videos/{id}?t=seconds, #/search?q=...) and the views' life cycle.

import { Api } from "./api.js";
import { clear, h } from "./dom.js";
import { libraryView } from "./library.js";
import { loginView } from "./login.js";
import { searchView } from "./search.js";
import { videoView } from "./video.js";

const api = new Api();
const main = document.getElementById("main");
const topbar = document.getElementById("topbar");
const searchForm = document.getElementById("search-form");
const searchInput = document.getElementById("search-input");
let current = null;
let firstRoute = true;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const params = new URLSearchParams(at < 0 ? "" : raw.slice(at + 1));
  return { path: path || "/", params };
}

function updateShell() {
  topbar.hidden = !api.signedIn;
  document.getElementById("account-id").textContent = api.signedIn ? api.accountId : "";
  const { path } = parseHash();
  for (const link of topbar.querySelectorAll(".main-nav a")) {
    if (path === "/" && link.getAttribute("href") === "#/") link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function notFound(root) {
  document.title = "Not found · videolabels";
  root.append(
    h("section", { class: "page narrow" },
      h("h1", { tabindex: "-1" }, "Page not found"),
      h("p", {}, h("a", { href: "#/" }, "Back to the library"))),
  );
  return { unmount() {} };
}

function route() {
  current?.unmount?.();
  current = null;
  clear(main);
  updateShell();
  const { path, params } = parseHash();
  if (!api.signedIn) {
    current = loginView(api, main, { onSignedIn: route });
  } else if (path === "/") {
    current = libraryView(api, main);
  } else if (path.startsWith("/videos/")) {
    let videoId = path.slice("/videos/".length);
    try {
      videoId = decodeURIComponent(videoId);
    } catch {
      /* keep it as it is */
    }
    current = videoView(api, main, { videoId, params });
  } else if (path === "/search") {
    const query = params.get("q") || "";
    searchInput.value = query;
    current = searchView(api, main, { query, language: params.get("language") || "" });
  } else {
    current = notFound(main);
  }
  // Move focus to the new view's heading so screen readers hear the page change
  // (not on the first load: the browser starts at the top of the document anyway).
  if (!firstRoute) main.querySelector("h1")?.focus({ preventScroll: true });
  firstRoute = false;
  window.scrollTo(0, 0);
}

searchForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = searchInput.value.trim();
  if (!query) return searchInput.focus();
  location.hash = `#/search?q=${encodeURIComponent(query)}`;
});

document.getElementById("sign-out").addEventListener("click", () => {
  api.signOut();
  location.hash = "#/";
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

let signedIn = api.signedIn;
api.onChange(() => {
  // Signing out (or a session that can no longer be renewed) returns to the sign-in form.
  if (signedIn && !api.signedIn) route();
  signedIn = api.signedIn;
  updateShell();
});

window.addEventListener("hashchange", route);
route();
