/**
 * Lists the clients connected without credentials (signed in as event-bus-anonymous while
 * `event-bus:kubernetes.nats.anonymousClients` is "allow"), from every NATS server's monitoring
 * port:
 *
 *   npm run anonymous-clients -- --monitor http://127.0.0.1:8222[,http://127.0.0.1:8223,...] [--fail-if-any]
 *
 * (each server's port 8222, for example through `kubectl port-forward pod/<nats-pod> 8222`).
 * Exits 3 with --fail-if-any while one is connected: the gate before "deny".
 */
import { listAnonymousClients } from "./lib/anonymous-clients";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const monitor = args.includes("--monitor") ? args[args.indexOf("--monitor") + 1] : undefined;
  if (!monitor) {
    console.error("usage: npm run anonymous-clients -- --monitor http://<server>:8222[,...] [--fail-if-any]");
    return 2;
  }
  const clients = await listAnonymousClients(monitor.split(","));
  if (clients.length) console.table(clients);
  console.log(clients.length ? `${clients.length} connection(s) without credentials` : "no connection without credentials");
  return clients.length && args.includes("--fail-if-any") ? 3 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.message);
    process.exit(1);
  },
);
