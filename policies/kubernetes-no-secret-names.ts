import type { StackValidationPolicy } from "@pulumi/policy";
import { plainValues, SECRET_NAME_PATTERN } from "./secret-patterns";

/** A plain value under a name like PASSWORD or TOKEN is probably a secret in the wrong place. */
export const noSecretNames: StackValidationPolicy = {
  name: "kubernetes-no-secret-names",
  description: "ConfigMap keys and plain env vars named like a credential (password, secret, token, ...) should come from a Secret.",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    for (const v of plainValues(args.resources)) {
      if (SECRET_NAME_PATTERN.test(v.key) && v.value !== "") reportViolation(`${v.where}: ${v.key} is set in plain text; take it from a Secret (secretKeyRef)`, v.urn);
    }
  },
};
