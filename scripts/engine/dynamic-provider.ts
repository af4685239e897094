/**
 * The host of `pulumi-nodejs:dynamic` resources (the Stream and Consumer providers): @pulumi/pulumi's
 * own (`cmd/dynamic-provider`, resolved from the project as the SDK's own wrapper script resolves
 * it), run in this process, which also ends once the engine is gone (engine-watch.ts). The SDK's
 * host never looks: after a SIGKILLed `pulumi up` it was seen running 20 minutes on.
 */
import { engineAddressOf, watchEngine } from "./engine-watch";

watchEngine(engineAddressOf(process.argv.slice(2)), () => process.exit(0));
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }));
