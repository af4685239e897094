/**
 * The event-bus policy pack: `pulumi preview --policy-pack policies`, or offline in CI with
 * `npm run policy -- --stack <stack>` (scripts/policy-check.ts). One policy per file, all listed
 * in policies/all.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./all";

new PolicyPack("event-bus", { policies: POLICIES });
