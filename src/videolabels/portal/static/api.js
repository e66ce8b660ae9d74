// The Video Indexer API client the portal uses: the same public routes as any client.
//
// Sign-in trades the subscription key for an account access token
// (GET /Auth/{location}/Accounts/{accountId}/AccessToken?allowEdit=true). The session
// (location, account, key, token) lives in sessionStorage: it survives reloads of the
// tab and is gone when the tab closes. The token is renewed before it expires, on a
// timer and lazily before a call; a 401 renews once and retries.

const SESSION_KEY = "videolabels.session";
const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message || type || `HTTP ${status}`);
    this.status = status;
    this.type = type;
  }
}

/** The claims of a JWT (no verification: the server does that). */
export function tokenClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = payload + "=".repeat((4 - (payload.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

async function errorOf(response) {
  let type = "";
  let message = "";
  try {
    const body = await response.json();
    type = body.ErrorType || "";
    message = body.Message || "";
  } catch {
    /* not JSON */
  }
  return new ApiError(response.status, type, message || `${response.status} ${response.statusText}`);
}

export class Api {
  /** `base`: the server's URL, the directory the portal page is served from. */
  constructor(base = new URL(".", location.href)) {
    this.base = new URL(base);
    this.session = null;
    this.renewTimer = 0;
    this.renewing = null;
    this.languagesPromise = null;
    this.listeners = new Set();
    this.restore();
  }

  // -- session ------------------------------------------------------------------
  get signedIn() {
    return !!(this.session && this.session.token);
  }

  get accountId() {
    return this.session?.accountId;
  }

  get location() {
    return this.session?.location;
  }

  get token() {
    return this.session?.token;
  }

  /** Called with the session (or null) whenever it changes. */
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      if (saved && saved.token && saved.accountId && saved.location) {
        this.session = saved;
        this.scheduleRenewal();
      }
    } catch {
      sessionStorage.removeItem(SESSION_KEY);
    }
  }

  save() {
    if (this.session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(this.session));
    else sessionStorage.removeItem(SESSION_KEY);
    for (const listener of this.listeners) listener(this.session);
  }

  async signIn({ location, accountId, key }) {
    const session = { location: location.trim(), accountId: accountId.trim(), key: key.trim(), token: null };
    session.token = await this.fetchToken(session);
    this.session = session;
    this.save();
    this.scheduleRenewal();
    return session;
  }

  signOut() {
    clearTimeout(this.renewTimer);
    this.session = null;
    this.save();
  }

  async fetchToken({ location, accountId, key }) {
    const url = new URL(
      `Auth/${encodeURIComponent(location)}/Accounts/${encodeURIComponent(accountId)}/AccessToken`,
      this.base,
    );
    url.searchParams.set("allowEdit", "true");
    const response = await fetch(url, { headers: { "Ocp-Apim-Subscription-Key": key }, cache: "no-store" });
    if (!response.ok) throw await errorOf(response);
    return await response.json();
  }

  /** Seconds before expiry at which the token is renewed: a fifth of its lifetime, 1 s to 5 min. */
  renewalMargin(claims) {
    const lifetime = (claims.exp || 0) - (claims.nbf || claims.iat || 0);
    return Math.min(300, Math.max(1, lifetime / 5));
  }

  needsRenewal() {
    const claims = tokenClaims(this.token || "");
    if (!claims.exp) return false;
    return Date.now() / 1000 >= claims.exp - this.renewalMargin(claims);
  }

  scheduleRenewal() {
    clearTimeout(this.renewTimer);
    const claims = tokenClaims(this.token || "");
    if (!claims.exp || !this.session?.key) return;
    const delay = Math.max(0, (claims.exp - this.renewalMargin(claims)) * 1000 - Date.now());
    // Browsers clamp long timers; re-arm in steps of at most an hour.
    this.renewTimer = setTimeout(() => {
      if (this.needsRenewal()) this.renew().catch(() => {});
      else this.scheduleRenewal();
    }, Math.min(delay, 3_600_000));
  }

  /** A fresh token from the subscription key; concurrent callers share one request. */
  renew() {
    if (!this.renewing) {
      const session = this.session;
      this.renewing = (async () => {
        if (!session?.key) throw new ApiError(401, "UNAUTHORIZED", "Your session has expired: sign in again.");
        const token = await this.fetchToken(session);
        if (this.session === session) {
          session.token = token;
          this.save();
          this.scheduleRenewal();
        }
        return token;
      })().finally(() => (this.renewing = null));
    }
    return this.renewing;
  }

  // -- requests -----------------------------------------------------------------
  /** URL of a route under /{location}/Accounts/{accountId}; `params` become the query. */
  accountUrl(path, params = {}) {
    const { location, accountId } = this.session;
    const url = new URL(
      `${encodeURIComponent(location)}/Accounts/${encodeURIComponent(accountId)}${path}`,
      this.base,
    );
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || value === "") continue;
      url.searchParams.set(key, String(value));
    }
    return url;
  }

  async request(method, path, { params = {}, signal } = {}) {
    if (!this.signedIn) throw new ApiError(401, "UNAUTHORIZED", "Sign in first.");
    if (this.needsRenewal()) await this.renew();
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(this.accountUrl(path, params), {
        method,
        headers: { Authorization: `Bearer ${this.token}` },
        cache: "no-store",
        signal,
      });
      if (response.status === 401 && attempt === 0 && this.session?.key) {
        await this.renew();
        continue;
      }
      if (!response.ok) {
        const error = await errorOf(response);
        if (response.status === 401) this.signOut();
        throw error;
      }
      return response;
    }
  }

  async json(path, options) {
    return (await this.request("GET", path, options)).json();
  }

  // -- the routes ---------------------------------------------------------------
  /** GET /{location}/SupportedLanguages (public; fetched once). */
  languages() {
    if (!this.languagesPromise) {
      const url = new URL(`${encodeURIComponent(this.location || "trial")}/SupportedLanguages`, this.base);
      this.languagesPromise = fetch(url).then(async (response) => {
        if (!response.ok) throw await errorOf(response);
        return response.json();
      });
      this.languagesPromise.catch(() => (this.languagesPromise = null));
    }
    return this.languagesPromise;
  }

  /** Every video of the account, newest first (follows nextPage). */
  async listVideos({ signal } = {}) {
    const videos = [];
    for (let skip = 0; ; ) {
      const page = await this.json("/Videos", { params: { pageSize: 200, skip }, signal });
      videos.push(...page.results);
      if (page.nextPage.done || !page.results.length || videos.length >= 5000) return videos;
      skip = page.nextPage.skip;
    }
  }

  /** The index document (parsed) and its exact text. */
  async index(videoId, { language, includeSummarizedInsights, signal } = {}) {
    const response = await this.request("GET", `/Videos/${encodeURIComponent(videoId)}/Index`, {
      params: { language, includeSummarizedInsights },
      signal,
    });
    const text = await response.text();
    return { doc: JSON.parse(text), text };
  }

  search(query, { pageSize = 100, skip = 0, language, signal } = {}) {
    return this.json("/Videos/Search", { params: { query, pageSize, skip, language }, signal });
  }

  deleteVideo(videoId) {
    return this.request("DELETE", `/Videos/${encodeURIComponent(videoId)}`);
  }

  reindex(videoId) {
    return this.request("PUT", `/Videos/${encodeURIComponent(videoId)}/ReIndex`);
  }

  /** A URL the <video> element can stream (Range requests), valid for the token's lifetime. */
  sourceUrl(videoId) {
    return this.json(`/Videos/${encodeURIComponent(videoId)}/SourceFile/DownloadUrl`);
  }

  /** An <img>-able URL of a thumbnail, or null for none. */
  thumbnailUrl(videoId, thumbnailId) {
    if (!thumbnailId || thumbnailId === ZERO_GUID || !this.signedIn) return null;
    return this.accountUrl(
      `/Videos/${encodeURIComponent(videoId)}/Thumbnails/${encodeURIComponent(thumbnailId)}`,
      { accessToken: this.token },
    ).href;
  }

  /**
   * Upload Video (multipart), with progress: `onProgress(loaded, total)`.
   * Returns {promise, abort}; the promise resolves to the video record.
   */
  upload(file, { name, onProgress } = {}) {
    const xhr = new XMLHttpRequest();
    const promise = (async () => {
      if (this.needsRenewal()) await this.renew();
      return await new Promise((resolve, reject) => {
        const url = this.accountUrl("/Videos", { name: name || file.name, privacy: "Private" });
        xhr.open("POST", url);
        xhr.setRequestHeader("Authorization", `Bearer ${this.token}`);
        xhr.responseType = "text";
        xhr.upload.addEventListener("progress", (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size));
        xhr.addEventListener("load", () => {
          let body = null;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            /* not JSON */
          }
          if (xhr.status >= 200 && xhr.status < 300) resolve(body);
          else reject(new ApiError(xhr.status, body?.ErrorType, body?.Message || `Upload failed (${xhr.status}).`));
        });
        xhr.addEventListener("error", () => reject(new ApiError(0, "NETWORK", "The upload was interrupted.")));
        xhr.addEventListener("abort", () => reject(new ApiError(0, "ABORTED", "Upload cancelled.")));
        const form = new FormData();
        form.append("file", file, file.name);
        xhr.send(form);
      });
    })();
    return { promise, abort: () => xhr.abort() };
  }
}

export { ZERO_GUID };
