// The bridge's event stream, kept open: tickets, resuming, backoff, reset, revocation.
//
// Each connection trades the token for a single-use ticket (POST
// /vtt/stream-tickets), opens `/vtt/stream?ticket=...` with fetch(), and on a
// new connection passes the last event id it saw as `last_event_id` (a fresh
// request cannot resend a browser's Last-Event-ID header). When the stream
// ends or fails it reconnects after a capped, jittered backoff. A
// `stream.reset` event means the bridge no longer has the events after our
// id: `onReset` refetches what it needs. A 401, or a `stream.revoked` event,
// means the token was revoked: the stream stops for good and says so.

import { backoffDelay, sleep, DEFAULT_BACKOFF } from "./backoff.js";
import { readEvents } from "./sse.js";

export const RESET = "stream.reset";
export const REVOKED = "stream.revoked";

export class GameStream {
  /**
   * `client`: a BridgeClient. Callbacks: `onEvent(event)` for every bus event
   * (`{type, data (parsed JSON), id}`), `onState(state, detail)` with state in
   * connecting | connected | reconnecting | revoked | stopped, `onReset(info)`,
   * `onCursor(id)` to persist the resume point, `onActivity()` for every chunk
   * (heartbeats too: an MV3 service worker uses it to stay alive).
   */
  constructor({ client, lastEventId = null, onEvent, onState = () => {}, onReset = async () => {}, onCursor = () => {}, onActivity = () => {}, backoff = DEFAULT_BACKOFF }) {
    Object.assign(this, { client, lastEventId, onEvent, onState, onReset, onCursor, onActivity, backoff });
    this.controller = null;
    this.done = null;
  }

  get running() {
    return this.controller !== null && !this.controller.signal.aborted;
  }

  start() {
    if (this.running) return this.done;
    this.controller = new AbortController();
    this.done = this.#run(this.controller.signal).catch((err) => {
      if (err?.name !== "AbortError") this.onState("stopped", String(err?.message ?? err));
    });
    return this.done;
  }

  stop() {
    this.controller?.abort();
  }

  async #run(signal) {
    for (let attempt = 0; !signal.aborted; ) {
      let why;
      try {
        this.onState(attempt === 0 ? "connecting" : "reconnecting", null);
        const ticket = await this.client.streamTicket();
        const response = await this.client.openStream(ticket.stream_url, this.lastEventId, signal);
        this.onState("connected", null);
        attempt = 0;
        if ((await this.#read(response, signal)) === REVOKED) return this.#revoked("the link was revoked");
        why = "the bridge closed the stream";
      } catch (err) {
        if (signal.aborted || err?.name === "AbortError") return;
        if (err?.unauthorised) return this.#revoked(err.message);
        why = err?.message ?? String(err);
      }
      const wait = backoffDelay(attempt, this.backoff);
      attempt += 1;
      this.onState("reconnecting", { why, retryInMs: wait });
      await sleep(wait, signal);
    }
  }

  async #read(response, signal) {
    for await (const event of readEvents(response.body, { onActivity: this.onActivity })) {
      if (signal.aborted) return null;
      if (event.type === REVOKED) return REVOKED;
      if (event.type === RESET) {
        await this.onReset(JSON.parse(event.data));
        continue;
      }
      // type null: the first frame's id, where a fresh stream joined; no event.
      if (event.type !== null) await this.onEvent({ type: event.type, data: JSON.parse(event.data), id: event.lastEventId });
      if (event.lastEventId && event.lastEventId !== this.lastEventId) {
        this.lastEventId = event.lastEventId;
        await this.onCursor(this.lastEventId);
      }
    }
    return null;
  }

  #revoked(detail) {
    this.controller?.abort();
    this.onState("revoked", detail);
  }
}
