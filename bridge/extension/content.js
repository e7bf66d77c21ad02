// The content script on Roll20's editor: reads new chat messages, types Discord's.
//
// A classic script (content scripts cannot be modules), so it imports the
// parser with import() from the extension's own files. It relays only
// messages added after it started: the history Roll20 shows on load was
// relayed by whoever was there when it was said. Every message is sent to
// the service worker, which posts it; the Roll20 message id makes a message
// seen by several players' extensions one message to the bridge.

(async () => {
  const chat = document.querySelector("#textchat");
  if (!chat) return; // not Roll20's editor (or the page changed: nothing to read)
  const { createParser, MARKER } = await import(chrome.runtime.getURL("lib/roll20-parse.js"));
  const ask = (msg) => chrome.runtime.sendMessage(msg).catch(() => null);
  const hello = await ask({ type: "hello" });
  const parser = createParser({ gm: Boolean(hello?.gm) });
  const seen = new Set([...chat.querySelectorAll(".message[data-messageid]")].map((m) => m.getAttribute("data-messageid")));
  setInterval(() => ask({ type: "hello" }), 15_000); // "this tab is still here", and wakes the worker

  function read(el) {
    const id = el.getAttribute("data-messageid");
    if (id && seen.has(id)) return;
    if (id) seen.add(id);
    const result = parser.parse(el);
    if (result.skip) return;
    ask({ type: "page", result });
  }

  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        if (node.matches(".message")) read(node);
        else node.querySelectorAll(".message").forEach(read);
      }
    }
  }).observe(chat, { childList: true, subtree: true });
  // Reading from here on: what is said now is relayed (tests wait for this
  // mark before typing, since a line typed earlier counts as history).
  document.documentElement.dataset.fumblebotReading = "1";

  chrome.runtime.onMessage.addListener((msg, _sender, reply) => {
    if (msg?.type === "ping") reply({ roll20: true }); // a restarted worker looking for its tabs
    else if (msg?.type === "inject") reply(type(msg.text));
    return false;
  });

  function type(text) {
    const box = document.querySelector("#textchat-input textarea");
    const send = document.querySelector("#textchat-input button, #textchat-input .btn");
    if (!box || !send) {
      ask({ type: "page", result: { failure: { kind: "chat_input", selector: "#textchat-input textarea / button", detail: "the chat box is missing" } } });
      return { ok: false };
    }
    if (!text.startsWith(MARKER)) return { ok: false }; // never type an unmarked line: it would be relayed back
    const before = box.value;
    box.value = text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    send.click();
    if (box.value === text) box.value = before; // Roll20 clears it after sending; put back a half-typed line
    return { ok: true };
  }
})();
