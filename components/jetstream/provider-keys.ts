/** The metadata keys the providers write on the server (never compared as configuration, never the user's). */
import { CARRY_KEY } from "./carry";
import { CLAIMS_KEY, RELEASED_KEY } from "./claims";
import { OWNER_KEY, STACK_KEY } from "./ownership";
import { RECREATE_KEY } from "./recreated-durables";

export const PROVIDER_KEYS: readonly string[] = [OWNER_KEY, STACK_KEY, CLAIMS_KEY, RELEASED_KEY, CARRY_KEY, RECREATE_KEY];
