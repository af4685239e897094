/**
 * What matters in a nats.conf when the stack takes a live NATS cluster over: where JetStream keeps
 * its streams, the cluster's name and routes, the servers' names, and who may sign in. Read from
 * the stack's own nats.conf and from the official Helm chart's JSON form (`"key": value`), so the
 * preview of an adoption can show the live file's facts beside the stack's before any NATS pod
 * rolls, and refuse what would lose the streams or the peers' identities. Pure.
 */

export interface NatsConfFacts {
  storeDir?: string;
  clusterName?: string;
  routes: string[];
  serverName?: string;
  users: string[];
  noAuthUser?: string;
  /** Whether clients must sign in (an authorization block, accounts or a resolver). */
  authorization: boolean;
}

const value = (text: string, key: string): string | undefined => {
  const m = new RegExp(`^\\s*"?${key}"?\\s*[:=]\\s*("([^"]*)"|[^,\\s}]+)`, "m").exec(text);
  return m ? (m[2] ?? m[1]) : undefined;
};

/** The facts of a nats.conf, in either form. */
export function natsConfFacts(text: string): NatsConfFacts {
  const cluster = /^\s*"?cluster"?\s*:?\s*\{([\s\S]*?)^\s*\]?\s*\}/m.exec(text)?.[1] ?? "";
  return {
    storeDir: value(text, "store_dir"),
    clusterName: cluster ? value(cluster, "name") : undefined,
    routes: [...cluster.matchAll(/"?((?:nats|tls):\/\/[^"\s,]+)"?/g)].map((m) => m[1]),
    serverName: value(text, "server_name"),
    users: [...text.matchAll(/\buser\s*:\s*"([^"]+)"/g)].map((m) => m[1]),
    noAuthUser: value(text, "no_auth_user"),
    authorization: /^\s*"?(authorization|accounts|resolver|operator)"?\s*[:{]/m.test(text),
  };
}

export interface ConfDifference {
  fact: string;
  live: string;
  stack: string;
  /** Refused: the streams (store directory) or the peers' identities (cluster name) would not be found again. */
  refused: boolean;
}

const show = (v: string | string[] | boolean | undefined) => (v === undefined ? "(none)" : Array.isArray(v) ? (v.length ? v.join(", ") : "(none)") : String(v));

/** Each fact that differs between the live nats.conf and the stack's. */
export function confDifferences(live: NatsConfFacts, stack: NatsConfFacts): ConfDifference[] {
  const facts: Array<[string, keyof NatsConfFacts, boolean]> = [
    ["store_dir", "storeDir", true],
    ["cluster.name", "clusterName", true],
    ["cluster.routes", "routes", false],
    ["server_name", "serverName", false],
    ["users", "users", false],
    ["no_auth_user", "noAuthUser", false],
    ["authorization", "authorization", false],
  ];
  return facts.flatMap(([fact, key, refused]) => {
    const [a, b] = [show(live[key]), show(stack[key])];
    // What the live file does not say is shown, never refused: there is nothing there to lose.
    return a === b ? [] : [{ fact, live: a, stack: b, refused: refused && live[key] !== undefined }];
  });
}

/** The preview's words for the differences: each fact, live and the stack's, what is refused. */
export function describeConfDifferences(configMap: string, differences: readonly ConfDifference[]): string {
  const lines = differences.map((d) => `  ${d.fact}: live ${d.live} -> stack ${d.stack}${d.refused ? " (refused)" : ""}`);
  return `nats.conf of ConfigMap ${configMap}, live beside the stack's, before any NATS pod rolls:\n${lines.join("\n")}`;
}
