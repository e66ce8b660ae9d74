// The Insights panel: the video's labels (name, time on screen, instances, confidence),
// sortable and filterable; selecting a label seeks to its first instance, and
// Play Previous / Play Next step through its instances. The panel carries the
// language's `lang` and `dir` so right-to-left names render right-to-left.

import { announce, clear, h, srOnly, uniqueId } from "./dom.js";
import { formatClock, formatDuration, parseTimeSpan, spokenTime } from "./time.js";

const SORTS = {
  appearance: (a, b) => a.first - b.first || a.id - b.id,
  duration: (a, b) => b.total - a.total || a.first - b.first || a.id - b.id,
};

/** Labels of an index document, with the numbers the panel shows. */
export function labelsOf(doc) {
  const raw = doc?.videos?.[0]?.insights?.labels || [];
  return raw.map((label) => {
    const instances = (label.instances || [])
      .map((i) => ({
        start: parseTimeSpan(i.adjustedStart ?? i.start),
        end: parseTimeSpan(i.adjustedEnd ?? i.end),
        confidence: Number(i.confidence) || 0,
      }))
      .filter((i) => Number.isFinite(i.start) && Number.isFinite(i.end))
      .sort((a, b) => a.start - b.start);
    return {
      id: label.id,
      name: label.name,
      referenceId: label.referenceId,
      instances,
      total: instances.reduce((sum, i) => sum + Math.max(0, i.end - i.start), 0),
      first: instances.length ? instances[0].start : Infinity,
      confidence: instances.reduce((best, i) => Math.max(best, i.confidence), 0),
    };
  });
}

const percent = (x) => `${Math.round(x * 100)}%`;

export class InsightsPanel {
  /**
   * onSeek(seconds, {play}): move the player. onChange(): the visible labels, their
   * order, or the selection changed (the timeline follows).
   */
  constructor({ onSeek, onChange }) {
    this.onSeek = onSeek;
    this.onChange = onChange;
    this.labels = [];
    this.duration = 0;
    this.language = "en-US";
    this.sort = "appearance";
    this.filter = "";
    this.selectedId = null;
    this.currentIndex = -1;
    this.playing = false;
    this.time = 0;
    this.collator = new Intl.Collator("en-US", { sensitivity: "base", numeric: true });

    const titleId = uniqueId("insights");
    this.countText = h("span", { class: "count" });
    this.filterInput = h("input", {
      type: "search", placeholder: "Filter labels", "aria-label": "Filter labels", autocomplete: "off", id: "label-filter",
    });
    this.sortSelect = h("select", { id: uniqueId("sort") },
      h("option", { value: "appearance" }, "Appearance"),
      h("option", { value: "duration" }, "Duration"),
      h("option", { value: "name" }, "Name"));
    this.status = h("p", { class: "filter-status", "aria-live": "polite" });
    this.list = h("ul", { class: "label-list", "aria-label": "Labels" });
    this.empty = h("p", { class: "empty-labels", hidden: true });

    // The selected label's instances.
    this.selName = h("span", { class: "sel-name" });
    this.selPosition = h("span", { class: "sel-position", "aria-live": "polite" });
    this.prevButton = h("button", { type: "button", class: "nav-prev" }, h("span", { "aria-hidden": "true", class: "arrow" }, "‹"), " Play Previous");
    this.nextButton = h("button", { type: "button", class: "nav-next" }, "Play Next ", h("span", { "aria-hidden": "true", class: "arrow" }, "›"));
    this.instanceList = h("ol", { class: "instances" });
    this.selection = h("div", { class: "selection", hidden: true, role: "group", "aria-label": "Selected label" },
      h("p", { class: "sel-head" }, this.selName, this.selPosition),
      // Left to right whatever the language, like the player's and the timeline's time axis.
      h("div", { class: "nav-buttons", dir: "ltr" }, this.prevButton, this.nextButton),
      this.instanceList);

    this.el = h("section", { class: "insights", "aria-labelledby": titleId, lang: "en-US", dir: "ltr", id: "insights" },
      h("h2", { id: titleId }, "Labels ", this.countText),
      h("div", { class: "label-controls" },
        this.filterInput,
        h("label", { class: "sort" }, "Sort by ", this.sortSelect)),
      this.status,
      this.selection,
      this.list,
      this.empty);

    this.filterInput.addEventListener("input", () => {
      this.filter = this.filterInput.value;
      this.render();
    });
    this.sortSelect.addEventListener("change", () => {
      this.sort = this.sortSelect.value;
      this.render();
      announce(`Labels sorted by ${this.sortSelect.selectedOptions[0].textContent.toLowerCase()}`);
    });
    this.prevButton.addEventListener("click", () => this.step(-1));
    this.nextButton.addEventListener("click", () => this.step(1));
  }

  /** New labels (a new document or language); the selection is kept by label id. */
  setLabels(labels, { language, rtl, duration, pending = false }) {
    this.labels = labels;
    this.pending = pending;
    this.language = language;
    this.duration = duration || 0;
    this.el.lang = language;
    this.el.dir = rtl ? "rtl" : "ltr";
    try {
      this.collator = new Intl.Collator(language, { sensitivity: "base", numeric: true });
    } catch {
      /* keep the previous one */
    }
    if (this.selectedId !== null && !this.selected()) this.selectedId = null;
    this.render();
  }

  setDuration(duration) {
    this.duration = duration;
  }

  selected() {
    return this.labels.find((l) => l.id === this.selectedId) || null;
  }

  /** The labels shown, in the order shown (the timeline draws the same). */
  visible() {
    const needle = this.filter.trim().normalize("NFKC").toLocaleLowerCase(this.language);
    const shown = needle
      ? this.labels.filter((l) => l.name.normalize("NFKC").toLocaleLowerCase(this.language).includes(needle))
      : [...this.labels];
    const compare =
      this.sort === "name"
        ? (a, b) => this.collator.compare(a.name, b.name) || a.id - b.id
        : SORTS[this.sort] || SORTS.appearance;
    return shown.sort(compare);
  }

  render() {
    const focusedId = document.activeElement?.closest?.(".label-list button")?.dataset.labelId;
    const shown = this.visible();
    clear(this.list);
    for (const label of shown) this.list.append(this.renderLabel(label));
    const n = this.labels.length;
    this.countText.textContent = `(${n})`;
    this.status.textContent = this.filter.trim()
      ? `${shown.length} of ${n} label${n === 1 ? "" : "s"} match “${this.filter.trim()}”`
      : "";
    this.empty.hidden = shown.length > 0;
    this.empty.textContent = n
      ? "No label matches the filter."
      : this.pending
        ? "The labels appear here once the video is indexed."
        : "No labels in this video.";
    if (focusedId) this.list.querySelector(`button[data-label-id="${CSS.escape(focusedId)}"]`)?.focus();
    this.renderSelection();
    this.onChange?.();
  }

  renderLabel(label) {
    const count = label.instances.length;
    const share = this.duration ? ` (${percent(Math.min(1, label.total / this.duration))})` : "";
    const button = h("button", {
      type: "button",
      class: "label",
      "aria-pressed": String(label.id === this.selectedId),
      dataset: { labelId: String(label.id) },
      onclick: () => this.select(label.id, 0),
    },
      h("span", { class: "label-name" }, label.name),
      " ",
      h("span", { class: "label-stats", dir: "ltr" },
        h("span", { class: "stat-time", title: "Total time on screen" }, srOnly("on screen "), formatDuration(label.total), share),
        srOnly(", "),
        h("span", { class: "stat-count" }, `${count} instance${count === 1 ? "" : "s"}`),
        srOnly(", "),
        h("span", { class: "stat-confidence", title: "Highest confidence" }, percent(label.confidence), srOnly(" confidence"))));
    return h("li", { class: label.id === this.selectedId ? "selected" : "" }, button);
  }

  renderSelection() {
    const label = this.selected();
    this.selection.hidden = !label;
    if (!label) return;
    this.selName.textContent = label.name;
    clear(this.instanceList);
    this.instanceList.setAttribute("aria-label", `Instances of ${label.name}`);
    label.instances.forEach((instance, index) => {
      const button = h("button", {
        type: "button",
        class: "instance",
        dataset: { index: String(index) },
        "aria-label": `Instance ${index + 1}: ${spokenTime(instance.start)} to ${spokenTime(instance.end)}, ${percent(instance.confidence)} confidence`,
        onclick: () => this.select(label.id, index),
      },
        h("span", { dir: "ltr" }, `${formatClock(instance.start, { precise: true })} – ${formatClock(instance.end, { precise: true })}`),
        h("span", { class: "instance-confidence" }, percent(instance.confidence)));
      this.instanceList.append(h("li", {}, button));
    });
    this.updateCurrent();
  }

  /** Select a label and play its instance `index` (the first by default). */
  select(labelId, index = 0, { play = true } = {}) {
    const changed = labelId !== this.selectedId;
    this.selectedId = labelId;
    const label = this.selected();
    if (!label) return;
    if (changed) {
      for (const button of this.list.querySelectorAll("button.label")) {
        const on = button.dataset.labelId === String(labelId);
        button.setAttribute("aria-pressed", String(on));
        button.parentElement.classList.toggle("selected", on);
      }
      this.renderSelection();
      this.onChange?.();
    }
    const instance = label.instances[index];
    if (!instance) return;
    this.currentIndex = index;
    this.time = instance.start;
    this.updateCurrent();
    this.onSeek(instance.start, { play });
  }

  step(delta) {
    const label = this.selected();
    if (!label) return;
    const index = Math.max(0, Math.min(label.instances.length - 1, this.currentIndex + delta));
    if (index !== this.currentIndex || this.currentIndex < 0) this.select(label.id, index);
  }

  /** The player's position: which instance of the selected label is current. */
  setTime(seconds) {
    this.time = seconds;
    const label = this.selected();
    if (!label) return;
    let index = -1;
    label.instances.forEach((instance, i) => {
      if (instance.start <= seconds + 0.05) index = i;
    });
    if (index !== this.currentIndex) this.currentIndex = index;
    this.updateCurrent();
  }

  updateCurrent() {
    const label = this.selected();
    if (!label) return;
    const n = label.instances.length;
    const index = this.currentIndex;
    const instance = label.instances[index];
    // "Playing": the player is inside the instance (a sampled instance lasts one frame,
    // so it stays lit for a moment after its end).
    const inside = !!instance && this.time >= instance.start - 0.05 && this.time <= instance.end + 0.3;
    for (const button of this.instanceList.querySelectorAll("button.instance")) {
      const i = Number(button.dataset.index);
      if (i === index) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
      button.classList.toggle("playing", i === index && inside);
    }
    const position = index >= 0 ? `Instance ${index + 1} of ${n}` : `${n} instance${n === 1 ? "" : "s"}`;
    if (this.selPosition.textContent !== position) this.selPosition.textContent = position;
    this.prevButton.disabled = index <= 0;
    this.nextButton.disabled = index >= n - 1;
    this.el.dispatchEvent(new CustomEvent("instancechange", { detail: { labelId: label.id, index, inside } }));
  }
}
