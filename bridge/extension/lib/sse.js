// Server-sent events read from a fetch() body, for places with no EventSource.
//
// An MV3 service worker has no EventSource, and a content script's requests
// carry the page's origin (CORS); reading the stream with fetch() in the
// service worker avoids both. This follows the WHATWG rules: lines end with
// CRLF, LF or CR; `:` starts a comment (the bridge's heartbeats); `id:` sets
// the last event id, which outlives the event; a blank line dispatches. A
// block with an id and no data is no event, but its id still counts (as
// EventSource's lastEventId does): it is yielded as `{type: null, lastEventId}`
// so a stream that saw no event yet can still resume from where it joined.

/**
 * Yield `{type, data, lastEventId, retry}` for each event of a byte stream,
 * and `{type: null, data: null, lastEventId, retry}` for an id with no data.
 * `onActivity` is called for every chunk read, heartbeats included.
 */
export async function* readEvents(body, { onActivity } = {}) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const state = { buffer: "", data: [], type: "", lastEventId: null, retry: null, idSeen: false };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onActivity?.();
      state.buffer += value;
      yield* drain(state);
    }
  } finally {
    reader.releaseLock();
  }
}

function* drain(state) {
  for (;;) {
    const end = state.buffer.search(/\r\n|\r|\n/);
    if (end < 0) return;
    // A CR at the very end may be the first half of a CRLF split across chunks.
    if (state.buffer[end] === "\r" && end === state.buffer.length - 1) return;
    const width = state.buffer.startsWith("\r\n", end) ? 2 : 1;
    const line = state.buffer.slice(0, end);
    state.buffer = state.buffer.slice(end + width);
    const event = onLine(state, line);
    if (event) yield event;
  }
}

function onLine(state, line) {
  if (line === "") {
    const { lastEventId, retry } = state;
    let event = null;
    if (state.data.length) event = { type: state.type || "message", data: state.data.join("\n"), lastEventId, retry };
    else if (state.idSeen) event = { type: null, data: null, lastEventId, retry };
    state.data = [];
    state.type = "";
    state.idSeen = false;
    return event;
  }
  if (line.startsWith(":")) return null;
  const colon = line.indexOf(":");
  const field = colon < 0 ? line : line.slice(0, colon);
  let value = colon < 0 ? "" : line.slice(colon + 1);
  if (value.startsWith(" ")) value = value.slice(1);
  if (field === "data") state.data.push(value);
  else if (field === "event") state.type = value;
  else if (field === "id" && !value.includes("\0")) {
    state.lastEventId = value || null;
    state.idSeen = true;
  }
  else if (field === "retry" && /^\d+$/.test(value)) state.retry = Number(value);
  return null;
}
