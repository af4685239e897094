import type { StackValidationPolicy } from "@pulumi/policy";
import { plainValues, SECRET_VALUE_PATTERNS } from "./secret-patterns";

/** No ConfigMap entry or plain env value holds a credential (seeds, creds, keys, passwords in URLs). */
export const noSecretValues: StackValidationPolicy = {
  name: "kubernetes-no-secret-values",
  description: "ConfigMaps and plain env values hold no credentials (nkey seeds, NATS creds, private keys, passwords in URLs); use Secrets.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const v of plainValues(args.resources)) {
      for (const [pattern, what] of SECRET_VALUE_PATTERNS) {
        // The message names the key, never the value.
        if (pattern.test(v.value)) reportViolation(`${v.where}: ${v.key} holds ${what}; keep it in a Secret`, v.urn);
      }
    }
  },
};
