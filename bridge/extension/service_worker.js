// The extension's service worker: the one place that talks to the bridge.
//
// Requests from here carry the extension's own origin and, with host access,
// skip CORS; a content script's would carry Roll20's. It holds the stream
// (fetch + ReadableStream: service workers have no EventSource), the outbox
// of rolls and chat waiting to be posted, and the game's inject lease. MV3
// may stop it at any time: everything it must not forget is in
// chrome.storage.local (config, cursor, outbox, status), it picks up again at
// its next start, and while the stream is open every heartbeat keeps it
// alive; an alarm wakes it every 30 s in case it was stopped anyway.

import { BridgeClient, BridgeError } from "./lib/bridge-client.js";
import { backoffDelay, sleep } from "./lib/backoff.js";
import { GameStream } from "./lib/stream.js";
import { createStore } from "./lib/store.js";
import { injectionText } from "./lib/roll20-parse.js";
import { STATES, explain } from "./words.js";

const VERSION = chrome.runtime.getManifest().version;
const TAB_SILENCE_MS = 45_000; // a Roll20 tab that has not said hello for this long is gone
const INJECTED_KEPT = 500;
const FAILURE_REPORT_EVERY_MS = 60_000;

let live = null; // {config, client, stream}
const tabs = new Map(); // tab id -> last hello (ms)
const lease = { holder: false, until: 0, timer: null }; // `until`: when our last claim lapses
const reported = new Map(); // parse-failure kind -> last report (ms)
let flushing = null;
let flushAgain = false; // a job was queued while a drain was finishing
const store = createStore(chrome.storage.local); // every write of a key in turn

/** Merge `patch` (or what it returns for the current status) into the status the popup shows. */
async function setStatus(patch) {
  await store.update("status", {}, (status) => {
    const changes = typeof patch === "function" ? patch(status) : patch;
    const next = { ...status, ...changes, at: Date.now() };
    if (changes.state) next.message = STATES[changes.state] ?? changes.state;
    return next;
  });
}

async function config() {
  return store.update("config", {}, (found) => (found.clientId ? found : { ...found, clientId: crypto.randomUUID() }));
}

let starting = null;

/** Start the stream, outbox and lease if linked and not running; one start at a time. */
function ensure() {
  starting ??= start().finally(() => {
    starting = null;
  });
  return starting;
}

async function start() {
  const cfg = await config();
  if (!cfg.token) {
    await setStatus((status) => ({ state: status.state === "revoked" ? "revoked" : "unlinked", holder: false }));
    return;
  }
  if (live?.stream.running) return;
  await discoverTabs(); // after a restart: find the Roll20 tabs before events arrive
  const client = new BridgeClient({ baseUrl: cfg.bridgeUrl, token: cfg.token });
  const stream = new GameStream({
    client,
    lastEventId: await store.get("cursor", null),
    onEvent: (event) => onEvent(event),
    onState: (state, detail) => onState(state, detail),
    onReset: () => setStatus({ lastError: "Some Discord messages from while this browser was away could not be fetched." }),
    onCursor: (id) => store.set("cursor", id),
    onActivity: () => chrome.runtime.getPlatformInfo(), // any extension call keeps the worker alive
  });
  live = { config: cfg, client, stream };
  stream.start();
  flush();
  leaseTick();
}

async function onState(state, detail) {
  if (state === "revoked") return revoked();
  const patch = { state };
  if (state === "reconnecting" && detail?.why) patch.lastError = `Lost the connection to FumbleBot (${detail.why}); trying again.`;
  if (state === "connected") patch.lastError = null;
  await setStatus(patch);
}

async function revoked() {
  stopAll();
  await store.update("config", {}, (cfg) => ({ ...cfg, token: null, grant: null }));
  let dropped = 0;
  await store.update("outbox", [], (outbox) => {
    dropped = outbox.length;
    return [];
  });
  const lastError = dropped ? `${dropped} roll(s) or message(s) were not sent: the link was revoked.` : null;
  await setStatus({ state: "revoked", holder: false, lastError });
}

function stopAll() {
  live?.stream.stop();
  live = null;
  clearTimeout(lease.timer);
  lease.holder = false;
  lease.until = 0;
}

// -- Discord -> Roll20 -------------------------------------------------------

async function onEvent(event) {
  const data = event.data ?? {};
  if (!live || data.origin?.platform !== "discord" || data.game_id !== live.config.gameId) return;
  if (!(await holdsLease())) return; // another player's extension types it
  const text = injectionText(event);
  const injected = await store.get("injected", []);
  if (!text || injected.includes(event.id)) return;
  for (const tabId of liveTabs()) {
    try {
      const answer = await chrome.tabs.sendMessage(tabId, { type: "inject", text });
      if (answer?.ok) break;
    } catch {
      tabs.delete(tabId); // closed or navigated away
    }
  }
  await store.update("injected", [], (ids) => [...ids, event.id].slice(-INJECTED_KEPT));
}

/** Ask every tab whether it is a Roll20 page with our content script (a restarted worker forgets). */
async function discoverTabs() {
  const all = await chrome.tabs.query({});
  await Promise.allSettled(
    all.map(async (tab) => {
      const answer = await chrome.tabs.sendMessage(tab.id, { type: "ping" });
      if (answer?.roll20) tabs.set(tab.id, Date.now());
    }),
  );
}

function liveTabs() {
  const now = Date.now();
  for (const [id, seen] of tabs) if (now - seen > TAB_SILENCE_MS) tabs.delete(id);
  return [...tabs.keys()];
}

/** Whether this extension holds the lease now; asks the bridge when it is not sure. */
async function holdsLease() {
  if (lease.holder && Date.now() < lease.until) return true;
  await leaseTick(); // after a restart or an outage our claim may have lapsed: claim again
  return lease.holder && Date.now() < lease.until;
}

async function leaseTick() {
  clearTimeout(lease.timer);
  if (!live?.config.gameId) return;
  const { client, config: cfg } = live;
  let wait = 2_000;
  if (liveTabs().length === 0) {
    if (lease.holder) await client.releaseLease(cfg.gameId, cfg.clientId).catch(() => {});
    lease.holder = false;
    lease.until = 0;
  } else {
    try {
      const asked = Date.now();
      const answer = await client.claimLease(cfg.gameId, cfg.clientId);
      lease.holder = answer.holder;
      lease.until = answer.holder ? asked + answer.expires_in * 1000 : 0;
      wait = answer.holder ? (answer.expires_in * 1000) / 3 : answer.expires_in * 1000 + 100 + Math.random() * 400;
    } catch (err) {
      // Unreachable: our claim, if any, still runs until `lease.until` on the bridge too.
      if (err instanceof BridgeError && err.unauthorised) return revoked();
    }
  }
  await setStatus({ holder: lease.holder && Date.now() < lease.until });
  clearTimeout(lease.timer); // a tick that ran meanwhile scheduled one too
  if (live) lease.timer = setTimeout(leaseTick, Math.max(250, wait));
}

// -- Roll20 -> Discord -------------------------------------------------------

async function enqueue(job) {
  await store.update("outbox", [], (outbox) => [...outbox, { ...job, id: crypto.randomUUID() }]);
  flush();
}

function flush() {
  if (flushing) {
    flushAgain = true; // the running drain may have read the outbox before this job
    return flushing;
  }
  flushing = (async () => {
    do {
      flushAgain = false;
      await drain();
    } while (flushAgain && live);
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function drain() {
  for (let attempt = 0; live; ) {
    const [job] = await store.get("outbox", []);
    if (!job) return;
    try {
      await post(job);
      attempt = 0;
    } catch (err) {
      if (!(err instanceof BridgeError)) throw err;
      if (err.unauthorised) return revoked();
      if (err.retryable) {
        await setStatus({ lastError: `${explain(err, live.config.bridgeUrl)} Your rolls are kept and sent when it is back.` });
        await sleep(Math.max(backoffDelay(attempt++), (err.retryAfter ?? 0) * 1000));
        continue;
      }
      await setStatus({ lastError: explain(err, live.config.bridgeUrl) });
    }
    await store.update("outbox", [], (outbox) => outbox.filter((j) => j.id !== job.id));
  }
}

async function post(job) {
  const { client } = live;
  if (job.kind === "chat") return client.postChat(job.line);
  const answer = await client.postRolls(job.gameId, job.items);
  const refused = answer.results.filter((r) => r.status === "rejected");
  if (refused.length) {
    await setStatus({ lastError: `FumbleBot could not read a roll: ${refused[0].error?.message ?? "unknown reason"}` });
    await reportFailure({ kind: "roll_markup", selector: ".message.rollresult", detail: refused[0].error?.field ?? "" });
  }
}

async function fromPage(result) {
  if (!live) return;
  const gameId = live.config.gameId;
  if (result.failure) return reportFailure(result.failure);
  if (result.rolls?.length) {
    await enqueue({ kind: "rolls", gameId, items: result.rolls.map((payload) => ({ format: "roll20.scrape", payload })) });
  }
  if (result.chat) await enqueue({ kind: "chat", line: { ...result.chat, game_id: gameId } });
}

async function reportFailure({ kind, selector, detail }) {
  const last = reported.get(kind) ?? 0;
  if (!live || Date.now() - last < FAILURE_REPORT_EVERY_MS) return;
  reported.set(kind, Date.now());
  const report = { kind, selector: selector.slice(0, 200), detail: String(detail ?? "").slice(0, 500), extension_version: VERSION, game_id: live.config.gameId };
  await live.client.reportParseFailure(report).catch(() => {});
}

// -- Options page and popup ----------------------------------------------------

async function link({ bridgeUrl, code }) {
  stopAll();
  const cfg = await config();
  const client = new BridgeClient({ baseUrl: bridgeUrl });
  try {
    const grant = await client.link(code, { playerId: `roll20-${cfg.clientId.slice(0, 8)}` });
    const { token, ...shown } = grant;
    await store.update("config", {}, (found) => ({ ...found, bridgeUrl: client.baseUrl, token, grant: shown, gameId: shown.games[0] ?? null }));
    await store.remove(["cursor", "outbox", "injected"]);
    await setStatus({ state: "connecting", lastError: null });
    await ensure();
    return { grant: shown };
  } catch (err) {
    await ensure();
    return { error: explain(err, bridgeUrl) };
  }
}

async function unlink() {
  const cfg = await config();
  // Forget the token and stop first, so the stream's own "revoked" cannot overwrite "unlinked".
  await store.update("config", {}, (found) => ({ ...found, token: null, grant: null }));
  stopAll();
  if (cfg.token) await new BridgeClient({ baseUrl: cfg.bridgeUrl, token: cfg.token }).unlink().catch(() => {});
  await store.remove(["cursor", "outbox", "injected"]);
  await setStatus({ state: "unlinked", holder: false, lastError: null });
  return { ok: true };
}

async function describe() {
  const cfg = await config();
  return { status: await store.get("status", {}), grant: cfg.grant ?? null, bridgeUrl: cfg.bridgeUrl ?? "", gameId: cfg.gameId ?? null, pending: (await store.get("outbox", [])).length };
}

const HANDLERS = {
  link: (msg) => link(msg),
  unlink: () => unlink(),
  describe: () => describe(),
  hello: async (msg, sender) => {
    const tabId = sender.tab?.id;
    const known = tabs.has(tabId);
    if (tabId !== undefined) tabs.set(tabId, Date.now());
    await ensure();
    if (live && !known) leaseTick(); // a new Roll20 tab: ask for the lease now
    return { gm: Boolean(live?.config.grant?.gm), linked: Boolean(live) };
  },
  page: async (msg, sender) => {
    if (sender.tab?.id !== undefined) tabs.set(sender.tab.id, Date.now());
    await ensure();
    await fromPage(msg.result);
    return { ok: true };
  },
};

chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  const handler = HANDLERS[msg?.type];
  if (!handler) return false;
  handler(msg, sender).then(reply, (err) => reply({ error: String(err?.message ?? err) }));
  return true; // answered asynchronously
});

chrome.tabs.onRemoved.addListener((tabId) => tabs.delete(tabId));
chrome.alarms.onAlarm.addListener(() => ensure());
chrome.runtime.onStartup.addListener(() => ensure());
chrome.runtime.onInstalled.addListener(() => chrome.alarms.create("keepalive", { periodInMinutes: 0.5 }));
ensure();
