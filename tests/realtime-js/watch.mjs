// Subscribes to a collection over the Baas realtime hub with the official JavaScript SignalR client and prints
// one JSON line per step: "subscribed" with the Subscribe result, one "change" per event, then exits after
// <count> changes. Usage: node watch.mjs <hubUrl> <accessToken> <collection> <count>
import * as signalR from "@microsoft/signalr";

const [url, token, collection, count] = process.argv.slice(2);
if (!url || !token || !collection || !count) {
  console.error("usage: node watch.mjs <hubUrl> <accessToken> <collection> <count>");
  process.exit(2);
}

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const connection = new signalR.HubConnectionBuilder()
  .withUrl(url, { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets })
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
