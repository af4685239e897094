/**
 * TLS for the NATS clients and routes, from a Secret the user names (kubernetes.nats.tls.secretName),
 * as the official Helm chart's `tls.secretName` takes it: a `kubernetes.io/tls` Secret with
 * `tls.crt`, `tls.key` and `ca.crt`, which cert-manager's Certificate makes. The certificate names
 * the client Service and the routes: `<client service>`, `<client service>.<namespace>.svc`,
 * `*.<headless service>`, `*.<headless service>.<namespace>.svc`, and the addresses the providers
 * reach (event-bus:nats.servers). Pure.
 *
 * Turning it on under running clients takes two stages, each one `up`:
 * - "trust": the services get the CA (NODE_EXTRA_CA_CERTS, read by Node.js at start: the seeds'
 *   code is not changed) and roll; the servers do not change.
 * - "on": the servers require TLS from every client, and speak it on their routes.
 * A stack that creates its cluster starts at "on".
 */
export const TLS_DIR = "/etc/nats-certs";
/** Where the services find the CA, and only it (the Secret's ca.crt item: never the servers' key). */
export const CA_DIR = "/etc/nats-ca";
export const CA_FILE = `${CA_DIR}/ca.crt`;

export type TlsStage = "trust" | "on";

export interface NatsTls {
  secretName: string;
  stage: TlsStage;
  /** TLS on the routes too ("on" only). */
  routes: boolean;
}

/** nats.conf's `tls { }` block (the client port, or inside `cluster { }` the routes), indented. */
export function tlsBlock(indent: string): string[] {
  return [
    `${indent}tls {`,
    `${indent}  cert_file: "${TLS_DIR}/tls.crt"`,
    `${indent}  key_file: "${TLS_DIR}/tls.key"`,
    `${indent}  ca_file: "${TLS_DIR}/ca.crt"`,
    `${indent}  timeout: 2`,
    `${indent}}`,
  ];
}

/** What the servers' nats.conf turns on. */
export const serverTls = (t: NatsTls | undefined) => ({ clients: t?.stage === "on", routes: t?.stage === "on" && t.routes });

/** The NATS pods' volume and mount of the whole Secret, when the servers speak TLS. */
export function natsTlsVolume(t: NatsTls | undefined) {
  if (t?.stage !== "on") return { volumes: [], mounts: [] };
  return { volumes: [{ name: "tls", secret: { secretName: t.secretName } }], mounts: [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] };
}

/** The services' volume of the CA alone, its mount, and the variable that makes Node.js trust it. */
export function serviceCaVolume(t: NatsTls | undefined) {
  if (!t) return { volumes: [], mounts: [], env: [] };
  return {
    volumes: [{ name: "nats-ca", secret: { secretName: t.secretName, items: [{ key: "ca.crt", path: "ca.crt" }] } }],
    mounts: [{ name: "nats-ca", mountPath: CA_DIR, readOnly: true }],
    env: [{ name: "NODE_EXTRA_CA_CERTS", value: CA_FILE }],
  };
}
