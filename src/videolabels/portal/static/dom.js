// Tiny DOM helpers: element creation without innerHTML (nothing from the API is ever
// parsed as HTML), and one polite live region for announcements.

/**
 * h("button", {class: "x", onclick: fn, "aria-pressed": "false"}, "text", child, ...)
 * Attributes: `class`, `text`, `dataset` (object), `on<event>` (listener), `style`
 * (object of properties, set through the CSSOM), booleans (set/unset), everything
 * else as an attribute. Children: nodes, strings, numbers, arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") for (const [p, v] of Object.entries(value)) el.style.setProperty(p, v);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let announceTimer = 0;

/** Says `message` through the page's polite live region (screen readers). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  clearTimeout(announceTimer);
  region.textContent = "";
  // A fresh text node after a tick, so that repeating the same words is announced again.
  announceTimer = setTimeout(() => (region.textContent = message), 50);
}

let uid = 0;
/** A document-unique id for aria-labelledby / aria-describedby wiring. */
export function uniqueId(prefix = "vl") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A visually hidden span: text for screen readers only. */
export function srOnly(text) {
  return h("span", { class: "visually-hidden" }, text);
}
