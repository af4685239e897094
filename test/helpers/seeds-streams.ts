/** The seeds' streams as their scripts make them, through the pinned `nats` CLI, for a test's live bus. */
import { poll } from "../../components/poll";

/**
 * The legacy stream as create-streams.js makes it (R3), once the cluster has elected its meta
 * leader (until then `nats stream add` fails). `nats` runs the CLI with the test's server and credentials.
 */
export async function addLegacyStreamAsSeeds(nats: (...args: string[]) => unknown): Promise<void> {
  const added = await poll({ timeoutMs: 60_000, intervalMs: 500 }, async () => {
    try {
      nats("stream", "add", "ATHLETE_ALLY_EVENTS", "--subjects", "athlete-ally.>,vendor.oura.>,sleep.*", "--storage", "file", "--retention", "limits", "--discard", "old", "--max-age", "24h", "--replicas", "3", "--defaults");
      return true;
    } catch {
      return undefined; // the cluster is still electing its meta leader
    }
  });
  if (!added) throw new Error("nats stream add ATHLETE_ALLY_EVENTS failed for 60 s");
}
