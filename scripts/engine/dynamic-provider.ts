/**
 * The host of `pulumi-nodejs:dynamic` resources (the Stream and Consumer providers): @pulumi/pulumi's
 * own (`cmd/dynamic-provider`, resolved from the project as the SDK's own wrapper script resolves
 * it), run in this process, which also ends once the engine is gone (engine-watch.ts; the SDK's
 * host never looks). It ends only after the operations under way have finished (in-flight.ts):
 * a hand-over cut between its take and its claim would leave subjects no stream captures.
 */
import { callsInFlight } from "../../components/providers/in-flight";
import { engineAddressOf, watchEngine } from "./engine-watch";

/** The longest the host waits for operations under way (a durable's drain waits up to 5 minutes). */
const IN_FLIGHT_GRACE_MS = 600_000;

watchEngine(engineAddressOf(process.argv.slice(2)), () => {
  const deadline = Date.now() + IN_FLIGHT_GRACE_MS;
  const timer = setInterval(() => {
    if (callsInFlight() > 0 && Date.now() < deadline) return;
    clearInterval(timer);
    process.exit(0);
  }, 200);
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }));
