// FumbleBot's stream overlay: follows /overlay/<key>/events and shows each
// public roll as a card. The key is in this page's path, and only there.
//
// Staying up on its own in OBS for hours is the whole job:
// - EventSource retries by itself after a dropped connection, resending
//   Last-Event-ID, so no roll is missed across a bridge restart;
// - a watchdog reopens the feed when nothing (not even the server's `ping`
//   event) arrived for a while, with the last id in the query;
// - a refused feed (EventSource gives up on any non-200) is checked against
//   /status: a revoked key stops the page with a notice, anything else is
//   retried with capped, jittered backoff.

const params = new URLSearchParams(location.search);
const HOLD_MS = clamp(Number(params.get("hold") || 30), 5, 3600) * 1000;
const MAX_CARDS = clamp(Number(params.get("max") || 6), 1, 20);
const BASE = location.pathname.replace(/\/+$/, "");
const SEEN_MAX = 500;

const rolls = document.getElementById("rolls");
const notice = document.getElementById("notice");
const seen = new Set();

let source = null;
let lastId = null;
let heartbeatMs = 15000;
let lastHeard = Date.now();
let failures = 0;
let retryTimer = null;
let stopped = false;

function clamp(value, low, high) {
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : low;
}

function setState(state) {
  document.body.dataset.state = state;
}

function heard() {
  lastHeard = Date.now();
  failures = 0;
}

function connect() {
  if (stopped) return;
  clearTimeout(retryTimer);
  const query = lastId ? `?last_event_id=${encodeURIComponent(lastId)}` : "";
  source = new EventSource(`${BASE}/events${query}`);
  lastHeard = Date.now();
  source.addEventListener("hello", (event) => {
    const hello = JSON.parse(event.data);
    heartbeatMs = clamp(hello.heartbeat_ms, 1000, 600000);
    // A fresh feed's hello carries where it joined: resume from there if cut before a roll.
    lastId = event.lastEventId || lastId;
    heard();
    setState("live");
  });
  source.addEventListener("ping", heard);
  source.addEventListener("roll", (event) => {
    heard();
    lastId = event.lastEventId || lastId;
    show(JSON.parse(event.data), event.lastEventId);
  });
  source.addEventListener("overlay.revoked", () => stop("This overlay link was revoked. Ask the GM for a new one."));
  source.onerror = () => {
    if (stopped) return;
    setState("reconnecting");
    if (source.readyState === EventSource.CLOSED) refused();
    // Otherwise the browser is already reconnecting by itself.
  };
}

async function refused() {
  source.close();
  try {
    const answer = await fetch(`${BASE}/status`, { cache: "no-store", credentials: "omit" });
    if (answer.status === 401) {
      const body = await answer.json().catch(() => ({}));
      const code = body.error && body.error.code;
      stop(code === "overlay_key_revoked"
        ? "This overlay link was revoked. Ask the GM for a new one."
        : "This overlay link is not known to FumbleBot. Check the URL.");
      return;
    }
  } catch (_) {
    // The bridge is down: retry below.
  }
  retry();
}

function retry() {
  if (stopped) return;
  failures += 1;
  const cap = Math.min(30000, 1000 * 2 ** Math.min(failures, 5));
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, cap / 2 + Math.random() * (cap / 2));
}

function watchdog() {
  if (stopped || !source) return;
  if (Date.now() - lastHeard > heartbeatMs * 2.5 + 5000) {
    source.close();
    setState("reconnecting");
    lastHeard = Date.now();
    retry();
  }
}

function stop(message) {
  stopped = true;
  if (source) source.close();
  clearTimeout(retryTimer);
  setState("revoked");
  notice.textContent = message;
  notice.hidden = false;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function dieNode(die) {
  const classes = ["die", `d${die.sides}`];
  if (die.kept === false) classes.push("dropped");
  if (die.exploded) classes.push("exploded");
  if (die.kept !== false && die.value === die.sides) classes.push("max");
  if (die.kept !== false && die.value === 1) classes.push("min");
  const node = el("li", classes.join(" "), die.value);
  node.title = `d${die.sides}${die.kept === false ? " (dropped)" : ""}`;
  if (die.kept === false) node.setAttribute("aria-label", `${die.value}, dropped`);
  return node;
}

function cardNode(roll, id) {
  const card = el("article", "card");
  if (roll.crit) card.classList.add("crit");
  if (roll.fumble) card.classList.add("fumble");
  card.dataset.rollId = roll.roll_id;
  card.dataset.eventId = id || "";
  const header = el("header");
  header.append(el("span", "who", roll.roller));
  header.append(el("span", "label", roll.label || roll.formula));
  const line = el("div", "line");
  const dice = el("ol", "dice");
  for (const group of roll.groups || []) {
    for (const die of group.dice || []) dice.append(dieNode(die));
  }
  if (!dice.children.length) dice.append(el("li", "formula", roll.formula));
  line.append(dice, el("span", "total", roll.total));
  card.append(header, line);
  if (roll.crit || roll.fumble) {
    card.append(el("div", "verdict", roll.crit ? "Critical!" : "Fumble"));
  }
  return card;
}

function show(roll, id) {
  const key = id || roll.roll_id;
  if (seen.has(key)) return; // a resumed feed may repeat what was shown
  seen.add(key);
  if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value);
  const card = cardNode(roll, id);
  rolls.append(card);
  while (rolls.children.length > MAX_CARDS) rolls.firstElementChild.remove();
  setTimeout(() => leave(card), HOLD_MS);
}

function leave(card) {
  card.classList.add("leaving");
  setTimeout(() => card.remove(), 1000);
}

setInterval(watchdog, 1000);
connect();
