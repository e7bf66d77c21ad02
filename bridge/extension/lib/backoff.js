// Capped, jittered exponential backoff, and a sleep that an AbortSignal cuts short.
//
// "Equal jitter": wait between half and all of min(cap, base * 2^attempt), so
// a thousand extensions cut off by one bridge restart do not all come back in
// the same second, and none waits longer than the cap.

export const DEFAULT_BACKOFF = Object.freeze({ baseMs: 500, capMs: 30_000 });

/** Milliseconds to wait before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30_000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolve after `ms`, or reject with an AbortError as soon as `signal` aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new DOMException("aborted", "AbortError"));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
