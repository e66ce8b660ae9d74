// .NET TimeSpan text (what Video Indexer's documents carry) and display formats.

const TIMESPAN = /^(-)?(?:(\d+)\.)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;

/** "0:00:06.04" or "1.02:03:04.5" (days) -> seconds; NaN for anything else. */
export function parseTimeSpan(text) {
  const m = TIMESPAN.exec(String(text ?? "").trim());
  if (!m) return NaN;
  const [, sign, days, hours, minutes, seconds] = m;
  const total = Number(days || 0) * 86400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
  return sign ? -total : total;
}

/** A player-style clock: 0:06, 1:02:03; `precise` adds hundredths (0:06.04). */
export function formatClock(seconds, { precise = false } = {}) {
  if (!Number.isFinite(seconds)) return "–";
  const negative = seconds < 0;
  let s = Math.abs(seconds);
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  let sec = precise ? s.toFixed(2).replace(/\.00$/, "") : String(Math.floor(s));
  if (Number(sec) < 10) sec = "0" + sec;
  const text = hours ? `${hours}:${String(minutes).padStart(2, "0")}:${sec}` : `${minutes}:${sec}`;
  return negative ? "-" + text : text;
}

/** A length of time for people: "0.04 s", "4.5 s", "1 min 5 s", "1 h 2 min". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  if (seconds < 10) return `${Number(seconds.toFixed(2))} s`;
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Spoken form for aria-labels: "6 seconds", "1 minute 5 seconds". */
export function spokenTime(seconds) {
  if (!Number.isFinite(seconds)) return "unknown time";
  const parts = [];
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Number((seconds % 60).toFixed(2));
  if (h) parts.push(`${h} hour${h === 1 ? "" : "s"}`);
  if (m) parts.push(`${m} minute${m === 1 ? "" : "s"}`);
  if (s || !parts.length) parts.push(`${s} second${s === 1 ? "" : "s"}`);
  return parts.join(" ");
}
