// What the popup and options page tell a player, in words a player understands.

export const STATES = {
  unlinked: "Not linked yet. Open the options, then paste the code that /link gives you in Discord.",
  connecting: "Connecting to FumbleBot…",
  connected: "Connected: your rolls and chat in this game go to Discord.",
  reconnecting: "Lost the connection to FumbleBot; trying again by itself.",
  revoked:
    "This browser was unlinked from FumbleBot, so nothing is sent any more. " +
    "To link it again, run /link in Discord and paste the new code in the options.",
  stopped: "Stopped. Reload the extension or link again from the options.",
};

/** A player-facing sentence for an error from the bridge client. */
export function explain(err, bridgeUrl) {
  if (err?.status === 0) return `Cannot reach FumbleBot at ${bridgeUrl}. Check the address in the options and that FumbleBot is running.`;
  if (err?.code === "invalid_pairing_code") return "That pairing code is wrong or has expired. Run /link in Discord again and paste the new code.";
  if (err?.code === "token_revoked" || err?.status === 401) return STATES.revoked;
  if (err?.status === 429) return "FumbleBot asked us to slow down; waiting a moment before sending more.";
  if (err?.status >= 500) return "FumbleBot is busy or restarting; waiting a moment before trying again.";
  return `FumbleBot refused it: ${err?.message ?? err}`;
}
