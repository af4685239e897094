/**
 * Who is connected without credentials: from each NATS server's monitoring endpoint
 * (`/connz?auth=true`, which names the user each connection signed in as), the connections
 * signed in as the anonymous user (nats.conf's `no_auth_user`, kubernetes.nats.anonymousClients
 * "allow"). What the runbook's staged authorization waits on before it closes that door.
 */
import { ANONYMOUS_USER } from "../../components/kubernetes/nats-users";

/** One connection as `/connz?auth=true` reports it (the fields used here). */
export interface Connz {
  server_id?: string;
  connections?: Array<{ cid: number; name?: string; ip?: string; port?: number; lang?: string; version?: string; authorized_user?: string; subscriptions?: number; in_msgs?: number; out_msgs?: number; start?: string }>;
}

export interface AnonymousClient {
  server: string;
  cid: number;
  name: string;
  address: string;
  client: string;
  subscriptions: number;
  published: number;
  since: string;
}

/** The connections of one server's answer signed in as `user` (the anonymous one). Pure. */
export function anonymousClients(server: string, connz: Connz, user = ANONYMOUS_USER.user): AnonymousClient[] {
  return (connz.connections ?? [])
    .filter((c) => c.authorized_user === user)
    .map((c) => ({
      server,
      cid: c.cid,
      name: c.name || "(no name)",
      address: `${c.ip ?? "?"}:${c.port ?? "?"}`,
      client: [c.lang, c.version].filter(Boolean).join(" ") || "?",
      subscriptions: c.subscriptions ?? 0,
      published: c.in_msgs ?? 0,
      since: c.start ?? "?",
    }));
}

/** Asks each monitoring URL (`http://<server>:8222`) for its connections; every connection on a page of up to 1024 per server. */
export async function listAnonymousClients(monitorUrls: readonly string[], fetchImpl: typeof fetch = fetch): Promise<AnonymousClient[]> {
  const out: AnonymousClient[] = [];
  for (const base of monitorUrls) {
    const url = `${base.replace(/\/$/, "")}/connz?auth=true&subs=false&limit=1024`;
    const r = await fetchImpl(url, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    out.push(...anonymousClients(base, (await r.json()) as Connz));
  }
  return out;
}
