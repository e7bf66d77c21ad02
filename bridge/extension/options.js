// The options page: the bridge's address and the /link code; who we are linked as; unlink.

const $ = (id) => document.getElementById(id);
const send = (msg) => chrome.runtime.sendMessage(msg);

async function render() {
  const info = await send({ type: "describe" });
  $("bridge-url").value ||= info.bridgeUrl || "http://127.0.0.1:8711";
  $("linked").hidden = !info.grant;
  if (info.grant) {
    $("linked-as").textContent = info.grant.user_name || info.grant.user_id;
    $("game").textContent = info.gameId ?? "none";
  }
  $("state").textContent = info.status?.message ?? "";
}

$("link-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").hidden = true;
  const answer = await send({ type: "link", bridgeUrl: $("bridge-url").value.trim(), code: $("code").value });
  if (answer?.error) {
    $("error").textContent = answer.error;
    $("error").hidden = false;
  } else {
    $("code").value = ""; // a code works once
  }
  await render();
});

$("unlink").addEventListener("click", async () => {
  await send({ type: "unlink" });
  await render();
});

chrome.storage.onChanged.addListener(() => render());
render();
