import { CONFIGMAP_TYPE, DEPLOYMENT_TYPE } from "../components/resource-types";

/** Values that are credentials whatever their key is called, and key names that suggest one. */
export const SECRET_VALUE_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bS[UOA][A-Z2-7]{50,}\b/, "an nkey seed"],
  [/-----BEGIN NATS USER JWT-----/, "NATS user credentials"],
  [/-----BEGIN (RSA |EC |OPENSSH )?PRIVATE KEY-----/, "a private key"],
  [/[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i, "a URL with a password in it"],
];

export const SECRET_NAME_PATTERN = /pass(word)?|secret|token|credential|api[_-]?key|seed/i;

/** Plain values of a stack's ConfigMaps and Deployment env vars, with where they are. */
export function plainValues(resources: Array<{ type: string; urn: string; props: any }>): Array<{ urn: string; where: string; key: string; value: string }> {
  const out: Array<{ urn: string; where: string; key: string; value: string }> = [];
  for (const r of resources) {
    if (r.type === CONFIGMAP_TYPE) {
      for (const [key, value] of Object.entries((r.props?.data ?? {}) as Record<string, string>)) out.push({ urn: r.urn, where: `ConfigMap ${r.props?.metadata?.name}`, key, value: String(value) });
    }
    if (r.type === DEPLOYMENT_TYPE) {
      for (const c of r.props?.spec?.template?.spec?.containers ?? []) {
        for (const e of c.env ?? []) {
          if (typeof e.value === "string") out.push({ urn: r.urn, where: `Deployment ${r.props?.metadata?.name} container ${c.name} env`, key: e.name, value: e.value });
        }
      }
    }
  }
  return out;
}
