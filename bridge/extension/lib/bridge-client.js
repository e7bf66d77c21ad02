// The FumbleBot bridge's /vtt API for browser extensions: pairing, the account,
// stream tickets, rolls, chat, the inject lease and parse-failure reports.
//
// The token is sent only as `Authorization: Bearer`, never in a URL; keep it
// in extension storage (chrome.storage.local), never in page storage. Every
// error is a BridgeError with the bridge's JSON error (`code`, `message`,
// `field`) and the HTTP status, 0 when the bridge could not be reached.

import { backoffDelay, sleep } from "./backoff.js";

export const PLATFORM = "roll20";

export class BridgeError extends Error {
  constructor(status, code, message, { field = null, retryAfter = null } = {}) {
    super(message);
    this.name = "BridgeError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }

  /** A failure worth retrying: the bridge unreachable, busy, restarting or rate limiting. */
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  /** The token no longer works: unlinked, revoked or unknown. */
  get unauthorised() {
    return this.status === 401;
  }
}

export class BridgeClient {
  /** `baseUrl` is the bridge's address, e.g. http://127.0.0.1:8711. */
  constructor({ baseUrl, token = null, fetch: fetchFn = null } = {}) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, "");
    this.token = token;
    this.fetch = fetchFn ?? ((...args) => globalThis.fetch(...args));
  }

  /** Exchange a /link code for a token; returns the grant, token included. */
  async link(code, { playerId, platform = PLATFORM }) {
    const grant = await this.request("POST", "/vtt/accounts/link", { code: code.trim(), platform, player_id: playerId }, { auth: false });
    this.token = grant.token;
    return grant;
  }

  /** Who the token is linked as: user, campaign, games, GM or not. */
  me() {
    return this.request("GET", "/vtt/accounts/me");
  }

  /** Revoke this token (the player unlinking this browser). */
  unlink() {
    return this.request("DELETE", "/vtt/accounts/link");
  }

  /** A single-use, short-lived ticket to open the stream with. */
  streamTicket() {
    return this.request("POST", "/vtt/stream-tickets", {});
  }

  /** Post roll items `[{format, payload}]` of one game; answered per item. */
  postRolls(gameId, items) {
    return this.request("POST", "/vtt/rolls", { game_id: gameId, items });
  }

  /** Post one chat line `{game_id, text, speaker?, source_id?, gm_only?}`. */
  postChat(line) {
    return this.request("POST", "/vtt/chat", line);
  }

  /** Take or renew the game's inject lease: `{holder, holder_client_id, expires_in}`. */
  claimLease(gameId, clientId) {
    return this.request("POST", "/vtt/inject-lease", { game_id: gameId, client_id: clientId });
  }

  /** Give the inject lease up so another player's extension takes over at once. */
  releaseLease(gameId, clientId) {
    return this.request("DELETE", "/vtt/inject-lease", { game_id: gameId, client_id: clientId });
  }

  /** Tell the bridge the page no longer parses: `{kind, selector, detail, extension_version, game_id?}`. */
  reportParseFailure(report) {
    return this.request("POST", "/vtt/parse-failures", report);
  }

  /** Open the stream response itself (see stream.js); `lastEventId` resumes. */
  async openStream(streamUrl, lastEventId, signal) {
    let url = this.baseUrl + streamUrl;
    if (lastEventId) url += `&last_event_id=${encodeURIComponent(lastEventId)}`;
    const response = await this.#send(url, { headers: { Accept: "text/event-stream" }, cache: "no-store", signal });
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async request(method, path, body = undefined, { auth = true } = {}) {
    const headers = { Accept: "application/json" };
    if (auth) {
      if (!this.token) throw new BridgeError(401, "not_linked", "this browser is not linked yet");
      headers.Authorization = `Bearer ${this.token}`;
    }
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await this.#send(this.baseUrl + path, init);
    if (!response.ok) throw await errorOf(response);
    return response.status === 204 ? null : response.json();
  }

  async #send(url, init) {
    try {
      return await this.fetch(url, init);
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      throw new BridgeError(0, "unreachable", `cannot reach the bridge at ${this.baseUrl}`);
    }
  }
}

async function errorOf(response) {
  let error = {};
  try {
    error = (await response.json()).error ?? {};
  } catch {
    // not JSON: a proxy's page, say
  }
  const retryAfter = Number(response.headers.get("Retry-After")) || null;
  return new BridgeError(response.status, error.code ?? `http_${response.status}`, error.message ?? response.statusText, {
    field: error.field ?? null,
    retryAfter,
  });
}

/**
 * Run `attempt()` until it succeeds, a failure is not retryable, or `tries`
 * run out. Safe for posts only because each item carries its VTT message id
 * (`source_id`, the scrape's `message_id`): a retry of something the bridge
 * already took is answered `duplicate`, never relayed twice.
 */
export async function withRetries(attempt, { tries = 6, signal, backoff = {}, onRetry } = {}) {
  for (let n = 0; ; n += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof BridgeError) || !err.retryable || n + 1 >= tries) throw err;
      const wait = Math.max(backoffDelay(n, backoff), (err.retryAfter ?? 0) * 1000);
      onRetry?.(err, wait);
      await sleep(wait, signal);
    }
  }
}
