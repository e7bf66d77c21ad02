// The popup: the connection's state and the last error, in a player's words.

const $ = (id) => document.getElementById(id);

async function render() {
  const info = await chrome.runtime.sendMessage({ type: "describe" });
  const status = info.status ?? {};
  $("state").textContent = status.message ?? "Starting…";
  $("state").dataset.state = status.state ?? "";
  $("state").className = status.state ?? "";
  $("who").textContent = info.grant ? `Linked as ${info.grant.user_name || info.grant.user_id}.` : "";
  $("injecting").hidden = !(status.holder && info.grant);
  $("pending").hidden = !info.pending;
  $("pending").textContent = `${info.pending} waiting to be sent.`;
  $("error").hidden = !status.lastError;
  $("error").textContent = status.lastError ?? "";
}

$("options").addEventListener("click", (event) => {
  event.preventDefault();
  chrome.runtime.openOptionsPage();
});
chrome.storage.onChanged.addListener(() => render());
render();
