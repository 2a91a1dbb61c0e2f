// A scripted browser stand-in: unmodified pusher-js 8 + laravel-echo 2, driven by JSON lines.
//
// stdin, one command per line:
//   {"cmd":"connect","host":"127.0.0.1","port":8080,"key":"k","authEndpoint":"http://…",
//    "userAuthEndpoint":"http://…","headers":{"Authorization":"Bearer alice"},"options":{}}
//   {"cmd":"subscribe","kind":"channel|private|join|encryptedPrivate","name":"orders.1",
//    "events":["OrderShipped"],"whispers":["typing"]}
//   {"cmd":"whisper","kind":"private|join","name":"chat","event":"typing","data":{…}}
//   {"cmd":"leave","channel":"private-chat"}   {"cmd":"signin"}   {"cmd":"disconnect"}
//   {"cmd":"raw","event":"pusher:…","data":{…},"channel":"…"}  (bypasses Echo: protocol tests)
//   {"cmd":"exit"}
// stdout, one observation per line: {"type":"state"|"connected"|"subscribed"|
//   "subscription_error"|"event"|"whisper"|"here"|"joining"|"leaving"|"user_event"|"message"|
//   "error"|"done", …}
import readline from "node:readline";
import Pusher from "pusher-js";
import Echo from "laravel-echo";

let echo = null;
const out = (observation) => process.stdout.write(JSON.stringify(observation) + "\n");
const prefixes = { channel: "", private: "private-", join: "presence-", encryptedPrivate: "private-encrypted-" };

function connect(cmd) {
  const headers = cmd.headers ?? {};
  echo = new Echo({
    broadcaster: "pusher",
    Pusher,
    key: cmd.key,
    cluster: "mt1",
    wsHost: cmd.host,
    wsPort: cmd.port,
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    authEndpoint: cmd.authEndpoint,
    auth: { headers },
    userAuthentication: { endpoint: cmd.userAuthEndpoint ?? "", headers },
    ...(cmd.options ?? {}),
  });
  const pusher = echo.connector.pusher;
  pusher.connection.bind("state_change", ({ previous, current }) => {
    out({ type: "state", previous, current });
    if (current === "connected") out({ type: "connected", socket_id: pusher.connection.socket_id });
  });
  pusher.connection.bind("error", (error) => out({ type: "error", error }));
  // Protocol-level messages (pusher:error, pusher:signin_success, …) for protocol tests.
  pusher.connection.bind("message", (m) => {
    if (m.event.startsWith("pusher:") || m.event.startsWith("pusher_internal:")) {
      out({ type: "message", event: m.event, channel: m.channel ?? null, data: m.data ?? null });
    }
  });
  pusher.user.bind_global((event, data) => out({ type: "user_event", event, data }));
}

function subscribe(cmd) {
  const channel = echo[cmd.kind](cmd.name);
  const full = prefixes[cmd.kind] + cmd.name;
  channel.subscribed(() => out({ type: "subscribed", channel: full }));
  channel.error((error) => out({ type: "subscription_error", channel: full, error }));
  for (const event of cmd.events ?? []) {
    channel.listen("." + event, (data) => out({ type: "event", channel: full, event, data }));
  }
  for (const event of cmd.whispers ?? []) {
    channel.listenForWhisper(event, (data) => out({ type: "whisper", channel: full, event, data }));
  }
  if (cmd.kind === "join") {
    channel.here((members) => out({ type: "here", channel: full, members }));
    channel.joining((member) => out({ type: "joining", channel: full, member }));
    channel.leaving((member) => out({ type: "leaving", channel: full, member }));
  }
}

const commands = {
  connect,
  subscribe,
  whisper: (cmd) => echo[cmd.kind](cmd.name).whisper(cmd.event, cmd.data),
  leave: (cmd) => echo.leaveChannel(cmd.channel),
  signin: () => echo.connector.pusher.signin(),
  disconnect: () => echo.disconnect(),
  raw: (cmd) => echo.connector.pusher.send_event(cmd.event, cmd.data, cmd.channel),
  exit: () => {
    if (echo) echo.disconnect();
    out({ type: "done" });
    setTimeout(() => process.exit(0), 20);
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
    commands[cmd.cmd](cmd);
    out({ type: "ack", cmd: cmd.cmd });
  } catch (error) {
    out({ type: "command_failed", line, error: String(error) });
  }
});
process.stdin.on("end", () => process.exit(0));
