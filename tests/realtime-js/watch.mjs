// Subscribes to a collection over the Baas realtime hub with the official JavaScript SignalR client and prints
// one JSON line per step: "subscribed" with the Subscribe result, one "change" per event, then exits after
// <count> changes. Usage: node watch.mjs <hubUrl> <accessToken> <collection> <count> [--ticket]
// With --ticket the access token only goes in a header to POST /api/realtime/ticket, and the websocket opens with the
// one-use ticket it answers (docs/realtime.md, "Tickets"), as a browser app should.
import * as signalR from "@microsoft/signalr";

const [url, token, collection, count, mode] = process.argv.slice(2);
if (!url || !token || !collection || !count || (mode && mode !== "--ticket")) {
  console.error("usage: node watch.mjs <hubUrl> <accessToken> <collection> <count> [--ticket]");
  process.exit(2);
}

// Called before every (re)connect.
async function realtimeTicket() {
  const response = await fetch(new URL("/api/realtime/ticket", url), {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`ticket refused: ${response.status}`);
  const { ticket } = await response.json();
  print({ kind: "ticket", prefix: ticket.slice(0, 8) });
  return ticket;
}

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const options = mode === "--ticket"
  ? { accessTokenFactory: realtimeTicket, skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets }
  : { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets };
const connection = new signalR.HubConnectionBuilder()
  .withUrl(url, options)
  .configureLogging(signalR.LogLevel.Warning)
  .build();

let remaining = Number(count);
const done = new Promise((resolve) => {
  connection.on("change", (change) => {
    print({ kind: "change", ...change });
    if (--remaining === 0) {
      resolve();
    }
  });
});
connection.on("resync", (resync) => print({ kind: "resync", ...resync }));

try {
  await connection.start();
  const result = await connection.invoke("Subscribe", { collection, snapshot: true });
  print({ kind: "subscribed", ...result });
  await done;
  await connection.stop();
  process.exit(0);
} catch (error) {
  print({ kind: "error", message: String(error?.message ?? error) });
  process.exit(1);
}
