/**
 * The host of `pulumi-nodejs:dynamic` resources (the Stream and Consumer providers): @pulumi/pulumi's
 * own (`cmd/dynamic-provider`, resolved from the project as the SDK's own wrapper script resolves
 * it), run in this process, which also ends once the engine is gone (engine-watch.ts; the SDK's
 * host never looks). It ends only after the operations under way have finished (in-flight.ts):
 * a hand-over cut between its take and its claim would leave subjects no stream captures.
 */
import { whenIdle } from "../../components/providers/in-flight";
import { engineAddressOf, watchEngine } from "./engine-watch";

watchEngine(engineAddressOf(process.argv.slice(2)), () => void whenIdle().then(() => process.exit(0)));
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }));
