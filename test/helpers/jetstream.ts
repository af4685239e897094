import { connect } from "@nats-io/transport-node";
import { jetstreamManager, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";

/** A plain client connection for tests, closed by the returned `close`. */
export async function openManager(servers: string[]): Promise<{ nc: NatsConnection; jsm: JetStreamManager; close(): Promise<void> }> {
  const nc = await connect({ servers, timeout: 5_000 });
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  return { nc, jsm, close: () => nc.close() };
}
