// Server-sent events read from a fetch() body, for places with no EventSource.
//
// An MV3 service worker has no EventSource, and a content script's requests
// carry the page's origin (CORS); reading the stream with fetch() in the
// service worker avoids both. This follows the WHATWG rules: lines end with
// CRLF, LF or CR; `:` starts a comment (the bridge's heartbeats); `id:` sets
// the last event id, which outlives the event; a blank line dispatches.

/**
 * Yield `{type, data, lastEventId, retry}` for each event of a byte stream.
 * `onActivity` is called for every chunk read, heartbeats included.
 */
export async function* readEvents(body, { onActivity } = {}) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const state = { buffer: "", data: [], type: "", lastEventId: null, retry: null };
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
    const event = state.data.length
      ? { type: state.type || "message", data: state.data.join("\n"), lastEventId: state.lastEventId, retry: state.retry }
      : null;
    state.data = [];
    state.type = "";
    return event;
  }
  if (line.startsWith(":")) return null;
  const colon = line.indexOf(":");
  const field = colon < 0 ? line : line.slice(0, colon);
  let value = colon < 0 ? "" : line.slice(colon + 1);
  if (value.startsWith(" ")) value = value.slice(1);
  if (field === "data") state.data.push(value);
  else if (field === "event") state.type = value;
  else if (field === "id" && !value.includes("\0")) state.lastEventId = value || null;
  else if (field === "retry" && /^\d+$/.test(value)) state.retry = Number(value);
  return null;
}
