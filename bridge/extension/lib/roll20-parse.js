// Roll20's chat messages read into what the bridge accepts: `roll20.scrape`
// roll payloads and chat lines, each with Roll20's `data-messageid` as its
// stable id (so every player's extension posting the same message is one
// message to the bridge).
//
// Markup (Roll20's own, as public extensions read it): `#textchat .message`
// elements with `data-messageid`; `.by` names the speaker ("Alice:"), and is
// left out of a speaker's consecutive messages; `.message.rollresult` holds
// `.formula` ("rolling 2d20kh1+5"), dice `.diceroll.dN` with the face in
// `.didroll` and classes `dropped`, `critsuccess`, `critfail`, and the total in
// `.rolled`; `.inlinerollresult` carries the tooltip in `title` (or
// `original-title` once the tooltip library moved it); whispers are
// `.message.whisper`, with "(To GM):" / "(From Alice):" in `.by`.
//
// Privacy: whispers and /gmroll are never relayed publicly. A whisper is
// relayed only between a player and the GM, as GM-only (a /gmroll as
// `gmrollresult`, private to the roller and the GMs); a whisper between two
// players is not relayed at all, because the bridge cannot name its audience.
//
// Lines this extension typed from Discord start with MARKER and are never
// read back (that would loop).

export const MARKER = "(Discord) ";
const CHATTY = ["general", "emote", "desc", "ooc"];
const SILENT = ["system", "private", "error", "loading"];

/** A parse result: `{skip}`, `{failure: {kind, selector, detail}}`, or `{rolls, chat}`. */
export function createParser({ gm = false } = {}) {
  let lastWho = null;
  return {
    parse(el) {
      const result = parseMessage(el, { gm, lastWho });
      if (result.who) lastWho = result.who;
      return result;
    },
  };
}

export function parseMessage(el, { gm = false, lastWho = null } = {}) {
  const id = el.getAttribute("data-messageid");
  if (!id) return failure("unknown_message", ".message[data-messageid]", "a chat message without data-messageid");
  const classes = el.classList;
  if (SILENT.some((c) => classes.contains(c))) return { skip: "system message", id };
  const byText = el.querySelector(":scope > .by")?.textContent.trim().replace(/:$/, "") ?? null;
  const whisper = classes.contains("whisper") ? whisperOf(byText, gm) : null;
  const who = whisper ? whisper.who : byText ?? lastWho;
  if (whisper?.skip) return { skip: "a whisper between players", id, who: lastWho };
  const base = { id, who, gmOnly: Boolean(whisper) };
  if (bodyText(el).startsWith(MARKER.trim())) return { skip: "typed from Discord", id, who };
  if (classes.contains("rollresult")) return rollResult(el, base);
  const inline = [...el.querySelectorAll(".inlinerollresult")];
  if (inline.length) return inlineRolls(inline, base);
  if (whisper || CHATTY.some((c) => classes.contains(c))) return chatLine(el, base);
  return failure("unknown_message", ".message", `a message with classes "${[...classes].join(" ").slice(0, 200)}"`);
}

function whisperOf(byText, gm) {
  const to = /^\(To (.+)\)$/.exec(byText ?? "");
  const from = /^\(From (.+)\)$/.exec(byText ?? "");
  if (to) return /^gm$/i.test(to[1].trim()) ? { who: null } : { skip: true };
  if (from) return gm ? { who: from[1].trim() } : { skip: true };
  return { skip: true };
}

function rollResult(el, { id, who, gmOnly }) {
  const formula = el.querySelector(".formula:not(.formattedformula)")?.textContent.trim();
  const total = el.querySelector(".rolled")?.textContent.trim();
  const dice = [...el.querySelectorAll(".formattedformula .diceroll")].map((die) => ({
    classes: die.className,
    value: die.querySelector(".didroll")?.textContent.trim() ?? "",
  }));
  if (!formula || !total || dice.some((d) => d.value === "")) {
    return failure("roll_markup", ".message.rollresult .formula/.rolled/.didroll", "a roll result without its formula, total or dice");
  }
  const payload = { kind: gmOnly || el.classList.contains("gmroll") ? "gmrollresult" : "rollresult", message_id: id, formula, total, dice };
  if (who) payload.who = who;
  return { id, who, rolls: [payload], chat: null };
}

function inlineRolls(spans, { id, who, gmOnly }) {
  const rolls = [];
  for (const [i, span] of spans.entries()) {
    const title = span.getAttribute("original-title") || span.getAttribute("title");
    const total = span.textContent.trim();
    if (!title || !total) return failure("roll_markup", ".inlinerollresult[title]", "an inline roll without its tooltip or total");
    const payload = { kind: "inline", message_id: `${id}#${i}`, total, title, classes: span.className };
    if (who) payload.who = who;
    if (gmOnly) payload.whisper = true;
    rolls.push(payload);
  }
  return { id, who, rolls, chat: null };
}

function bodyText(el) {
  const body = el.cloneNode(true);
  body.querySelectorAll(":scope > .spacer, :scope > .avatar, :scope > .tstamp, :scope > .by").forEach((n) => n.remove());
  return body.textContent.replace(/\s+/g, " ").trim();
}

function chatLine(el, { id, who, gmOnly }) {
  const text = bodyText(el);
  if (!text) return { skip: "an empty message", id, who };
  const chat = { text: text.slice(0, 2000), source_id: id, gm_only: gmOnly };
  if (who) chat.speaker = who.slice(0, 200);
  return { id, who, rolls: [], chat };
}

function failure(kind, selector, detail) {
  return { failure: { kind, selector, detail } };
}

/** Defuse what Roll20 would run in a typed line: inline rolls and roll templates. */
function inert(text) {
  return text.replaceAll("[[", "[ [").replaceAll("]]", "] ]").replaceAll("&{", "& {");
}

/** What to type into Roll20's chat for a bus event from Discord, or null to type nothing. */
export function injectionText(event) {
  const data = event.data ?? {};
  const audience = data.audience ?? {};
  // Roll20's chat is seen by the whole table: only public events may be typed there.
  if (audience.gm_only || Array.isArray(audience.users)) return null;
  const name = data.origin?.user_name ?? data.chat?.speaker ?? "someone";
  // Discord's own [[rolls]] arrive as roll events: Roll20 must not roll them again.
  if (event.type === "chat" && data.chat) return inert(`${MARKER}${data.chat.speaker}: ${data.chat.text}`).slice(0, 2000);
  if (event.type === "roll" && data.roll) {
    const roll = data.roll;
    const label = roll.label ? ` (${roll.label})` : "";
    const mark = roll.crit ? " — critical!" : roll.fumble ? " — fumble!" : "";
    return inert(`${MARKER}${name} rolled ${roll.formula}${label} = ${roll.total}${mark}`).slice(0, 2000);
  }
  return null;
}
