/**
 * TLS for the NATS clients and routes, from a Secret the user names (kubernetes.nats.tls.secretName),
 * as the official Helm chart's `tls.secretName` takes it: a `kubernetes.io/tls` Secret with
 * `tls.crt`, `tls.key` and `ca.crt`, which cert-manager's Certificate makes. The certificate names
 * the client Service and the routes: `<client service>`, `<client service>.<namespace>.svc`,
 * `*.<headless service>`, `*.<headless service>.<namespace>.svc`, and the addresses the providers
 * reach (event-bus:nats.servers). Pure.
 *
 * Turning it on under running clients takes three stages, each one `up`:
 * - "trust": the services get the CA (NODE_EXTRA_CA_CERTS, read by Node.js at start: the seeds'
 *   code is not changed) and roll; the servers do not change.
 * - "offer": the servers offer TLS to clients and still take plain ones (nats-server's
 *   `allow_non_tls`): a client that asks for none (nats.go's default, the `nats` CLI without a
 *   CA) stays plain; a Node.js client upgrades whenever a server offers it (nats.js's node
 *   transport), so the services, which trust the CA since "trust", speak TLS from their next
 *   connection (a Node.js client without the CA would fail: "trust" comes first).
 * - "on": the servers require TLS from every client, and speak it on their routes.
 * The providers speak TLS only from "on": nats.js refuses a server that offers none when TLS
 * options are given (`checkOptions`, "server does not support 'tls'"), and an `up` signs in
 * before its NATS pods roll, so the `up` to "on" still finds servers at "offer", which take it.
 * A stack that creates its cluster starts at "on".
 *
 * With `certManager`, the stack also writes the cert-manager Certificate that issues that Secret
 * (renderCertificate): cert-manager renews it; the Secret keeps the name the servers read.
 */
export const TLS_DIR = "/etc/nats-certs";
/** Where the services find the CA, and only it (the Secret's ca.crt item: never the servers' key). */
export const CA_DIR = "/etc/nats-ca";
export const CA_FILE = `${CA_DIR}/ca.crt`;

export type TlsStage = "trust" | "offer" | "on";

export interface NatsTls {
  secretName: string;
  stage: TlsStage;
  /** TLS on the routes too ("on" only). */
  routes: boolean;
  /** cert-manager issues the Secret: the stack's Certificate names the issuer. */
  certManager?: { issuer: string; kind: "Issuer" | "ClusterIssuer" };
}

/** A cert-manager Certificate (cert-manager.io/v1), as the stack writes one. */
export interface CertificateManifest {
  apiVersion: "cert-manager.io/v1";
  kind: "Certificate";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    secretName: string;
    issuerRef: { name: string; kind: "Issuer" | "ClusterIssuer"; group: "cert-manager.io" };
    commonName: string;
    dnsNames: string[];
    ipAddresses?: string[];
    usages: string[];
    privateKey: { algorithm: "ECDSA"; size: 256; rotationPolicy: "Always" };
  };
}

/**
 * The names the servers' certificate must hold: the client Service (short, with the namespace,
 * the cluster's `.svc`), every pod through the headless Service (the routes), and the hosts of
 * the addresses the providers reach (event-bus:nats.servers). Pure.
 */
export function certificateNames(namespace: string, services: { client: string; headless: string }, servers: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const all = servers.map((s) => new URL(s.replace(/^(nats|tls)(?=:)/, "http")).hostname);
  const isIp = (h: string) => /^[\d.]+$|^\[/.test(h);
  const hosts = all.filter((h) => !isIp(h));
  const ipAddresses = [...new Set(all.filter(isIp).map((h) => h.replace(/^\[|\]$/g, "")))];
  const names = [
    services.client,
    `${services.client}.${namespace}`,
    `${services.client}.${namespace}.svc`,
    `*.${services.headless}`,
    `*.${services.headless}.${namespace}.svc`,
    ...hosts,
  ];
  return { dnsNames: [...new Set(names)], ipAddresses };
}

/**
 * The Certificate cert-manager turns into the Secret the servers read, when it is the issuer
 * (kubernetes.nats.tls.certManager). The issuer must write `ca.crt` into the Secret (a CA or
 * Vault issuer; not ACME): the servers verify routes with it and the services trust it.
 */
export function renderCertificate(namespace: string, t: NatsTls, names: { dnsNames: string[]; ipAddresses: string[] }, labels: Record<string, string>): CertificateManifest | undefined {
  if (!t.certManager) return undefined;
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: t.secretName, namespace, labels },
    spec: {
      secretName: t.secretName,
      issuerRef: { name: t.certManager.issuer, kind: t.certManager.kind, group: "cert-manager.io" },
      commonName: names.dnsNames[2],
      dnsNames: names.dnsNames,
      ...(names.ipAddresses.length ? { ipAddresses: names.ipAddresses } : {}),
      // The servers present it to clients and to each other on the routes.
      usages: ["server auth", "client auth", "digital signature", "key encipherment"],
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  };
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
export const serverTls = (t: NatsTls | undefined) => ({ clients: t?.stage === "on" || t?.stage === "offer", plainToo: t?.stage === "offer", routes: t?.stage === "on" && t.routes });

/** Whether the providers' connection uses its TLS settings (event-bus:nats.tls): only once the servers require TLS (see above). */
export const providersSpeakTls = (t: NatsTls | undefined) => t === undefined || t.stage === "on";

/**
 * The providers' connection for the servers' TLS stage: as configured from "on" (or without
 * kubernetes.nats.tls); before it, plain only, its TLS settings left out (with them, the client
 * refuses the plain servers of "trust"; without them and without plainOnly, it upgrades at
 * "offer" and fails without the CA). Pure.
 */
export function connectionForTlsStage<T extends { tls?: unknown; plainOnly?: true }>(nats: T, t: NatsTls | undefined): T {
  if (providersSpeakTls(t)) return nats;
  const { tls: _tls, ...rest } = nats;
  return { ...rest, plainOnly: true } as T;
}

/** The NATS pods' volume and mount of the whole Secret, when the servers speak TLS. */
export function natsTlsVolume(t: NatsTls | undefined) {
  if (!t || !serverTls(t).clients) return { volumes: [], mounts: [] };
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
