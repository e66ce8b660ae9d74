// The timeline: one row per label, its instances as bars along the video; clicking a
// bar plays that instance, clicking the track elsewhere seeks there. A playhead follows
// the player.

import { clear, h, uniqueId } from "./dom.js";
import { formatClock, spokenTime } from "./time.js";

function tickStep(duration) {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => duration / s <= 6) || 7200;
}

export class Timeline {
  /** onSelect(labelId, instanceIndex): a bar was chosen. onSeek(seconds): the track was clicked. */
  constructor({ onSelect, onSeek }) {
    this.onSelect = onSelect;
    this.onSeek = onSeek;
    this.duration = 0;
    this.rowsByLabel = new Map();
    const titleId = uniqueId("timeline");
    this.rows = h("div", { class: "tl-rows" });
    this.axis = h("div", { class: "tl-axis", "aria-hidden": "true" });
    this.empty = h("p", { class: "tl-empty", hidden: true }, "No labels to show.");
    this.el = h("section", { class: "timeline", "aria-labelledby": titleId, id: "timeline" },
      h("h2", { id: titleId }, "Timeline"),
      this.rows, this.axis, this.empty);
  }

  /** Draw `labels` (already filtered and sorted like the insights panel). */
  render(labels, { duration, language, rtl, selectedId }) {
    this.duration = duration > 0 ? duration : Math.max(1, ...labels.flatMap((l) => l.instances.map((i) => i.end)));
    clear(this.rows);
    this.rowsByLabel.clear();
    for (const label of labels) {
      const track = h("div", { class: "tl-track" });
      label.instances.forEach((instance, index) => {
        const left = (100 * Math.max(0, instance.start)) / this.duration;
        const width = (100 * Math.max(0, instance.end - instance.start)) / this.duration;
        const text = `${label.name}: ${formatClock(instance.start, { precise: true })} to ${formatClock(instance.end, { precise: true })}`;
        track.append(h("button", {
          type: "button",
          class: "tl-bar",
          title: text,
          "aria-label": `${label.name}, instance ${index + 1} of ${label.instances.length}, at ${spokenTime(instance.start)}`,
          dataset: { labelId: String(label.id), index: String(index), start: String(instance.start) },
          style: { left: `${Math.min(left, 100)}%`, width: `${Math.min(width, 100 - left)}%` },
          onclick: (event) => {
            event.stopPropagation();
            this.onSelect(label.id, index);
          },
        }));
      });
      track.addEventListener("click", (event) => {
        const box = track.getBoundingClientRect();
        if (!box.width) return;
        this.onSeek(Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) * this.duration);
      });
      const row = h("div", { class: "tl-row", dataset: { labelId: String(label.id) } },
        h("span", { class: "tl-name", lang: language, dir: rtl ? "rtl" : "ltr", title: label.name }, label.name),
        track);
      row.classList.toggle("selected", label.id === selectedId);
      this.rows.append(row);
      this.rowsByLabel.set(label.id, row);
    }
    this.empty.hidden = labels.length > 0;
    this.renderAxis();
  }

  renderAxis() {
    clear(this.axis);
    const step = tickStep(this.duration);
    const track = h("div", { class: "tl-axis-track" });
    for (let t = 0; t <= this.duration + 1e-6; t += step) {
      track.append(h("span", { class: "tl-tick", style: { left: `${(100 * t) / this.duration}%` } }, formatClock(t)));
    }
    this.axis.append(h("span", { class: "tl-name" }), track);
  }

  setTime(seconds) {
    const x = this.duration ? Math.max(0, Math.min(1, seconds / this.duration)) : 0;
    this.el.style.setProperty("--playhead", `${(x * 100).toFixed(3)}%`);
  }

  /** Highlight the selected label's row and its current instance's bar. */
  setCurrent(labelId, index, inside) {
    for (const [id, row] of this.rowsByLabel) {
      row.classList.toggle("selected", id === labelId);
      for (const bar of row.querySelectorAll(".tl-bar")) {
        const current = id === labelId && Number(bar.dataset.index) === index;
        bar.classList.toggle("current", current);
        bar.classList.toggle("playing", current && inside);
        if (current) bar.setAttribute("aria-current", "true");
        else bar.removeAttribute("aria-current");
      }
    }
  }
}
