/**
 * Environment entries left on a live Deployment by hand (`kubectl set env deployment/... KEY=v`,
 * as the seeds' runbook does it) that shadow the stack's flags: an explicit `env` entry wins over
 * the flags ConfigMap's `envFrom`, and the plugin's server-side apply takes over only the fields
 * the stack declares, so such an entry stays and keeps its old value after the stack changes the
 * flag. Found in every preview of a Deployment the stack takes over, and refused with the command
 * that removes them. Pure.
 */

export interface LeftoverEnv {
  container: string;
  name: string;
  value: string;
}

type Containers = ReadonlyArray<{ name: string; env?: ReadonlyArray<{ name: string; value?: string; valueFrom?: unknown }> }>;

/**
 * The explicit env entries of the live containers that a flag of the ConfigMap would otherwise
 * set, and that the stack's own container does not declare (what it declares, its apply takes
 * over: ingest-service gets its flags inline).
 */
export function leftoverEnv(live: Containers, flagKeys: readonly string[], declared: Containers = []): LeftoverEnv[] {
  const ours = (container: string) => new Set((declared.find((c) => c.name === container)?.env ?? []).map((e) => e.name));
  return live.flatMap((c) =>
    (c.env ?? []).filter((e) => flagKeys.includes(e.name) && !ours(c.name).has(e.name)).map((e) => ({ container: c.name, name: e.name, value: e.value ?? "(from a reference)" })),
  );
}

/** The refusal, with the command that removes each leftover (`KEY-` removes it, and rolls the Deployment once). */
export function leftoverEnvError(namespace: string, deployment: string, leftovers: readonly LeftoverEnv[]): string {
  const byContainer = new Map<string, string[]>();
  for (const l of leftovers) byContainer.set(l.container, [...(byContainer.get(l.container) ?? []), l.name]);
  const commands = [...byContainer].map(([c, names]) => `kubectl -n ${namespace} set env deployment/${deployment} -c ${c} ${names.map((n) => `${n}-`).join(" ")}`);
  return (
    `deployment ${namespace}/${deployment}: ${leftovers.map((l) => `env ${l.name}=${l.value} (container ${l.container})`).join(", ")} was set by hand and overrides the flag of the same name in ConfigMap event-bus-config, ` +
    `which the stack manages: after the stack changes the flag, the pods would keep the old value. Remove it first (${commands.join("; ")}), then preview again`
  );
}
