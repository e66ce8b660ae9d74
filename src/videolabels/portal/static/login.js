// Sign in: the subscription key (what `videolabels serve` printed, or its data dir's
// api_key file) is traded for an account access token by the API client.

import { h } from "./dom.js";

const LAST_ACCOUNT = "videolabels.lastAccount";

export function loginView(api, root, { onSignedIn }) {
  document.title = "Sign in · videolabels";
  let last = {};
  try {
    last = JSON.parse(localStorage.getItem(LAST_ACCOUNT) || "{}");
  } catch {
    /* ignore */
  }
  const error = h("p", { class: "error", role: "alert" });
  const account = h("input", {
    id: "login-account", name: "account", required: true, autocomplete: "username",
    value: last.accountId || "default", spellcheck: "false",
  });
  const where = h("input", {
    id: "login-location", name: "location", required: true, value: last.location || "trial", spellcheck: "false",
  });
  const key = h("input", {
    id: "login-key", name: "key", type: "password", required: true, autocomplete: "current-password",
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "login card-surface", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title", tabindex: "-1" }, "Sign in to videolabels"),
    h("p", { class: "hint" },
      "Use the subscription key that ", h("code", {}, "videolabels serve"),
      " printed on its first start (it is kept in the data directory's ", h("code", {}, "api_key"), " file)."),
    h("div", { class: "field" }, h("label", { for: "login-account" }, "Account ID"), account),
    h("div", { class: "field" }, h("label", { for: "login-location" }, "Location"), where),
    h("div", { class: "field" }, h("label", { for: "login-key" }, "API key"), key),
    submit,
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await api.signIn({ location: where.value, accountId: account.value, key: key.value });
      localStorage.setItem(LAST_ACCOUNT, JSON.stringify({ accountId: account.value.trim(), location: where.value.trim() }));
      onSignedIn();
    } catch (e) {
      error.textContent =
        e.status === 401 ? "That API key was not accepted." : `Could not sign in: ${e.message}`;
      submit.disabled = false;
      submit.textContent = "Sign in";
      key.focus();
    }
  });
  root.append(h("section", { class: "page login-page" }, form));
  queueMicrotask(() => (last.accountId ? key : account).focus());
  return { unmount() {} };
}
