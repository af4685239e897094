/**
 * docs/RUNBOOK.md's kubectl commands, run as an on-call engineer types them, with the pinned
 * kubectl (built with the control plane, scripts/install-tools.sh), against production deployed by
 * the real engine and the real Kubernetes plugin on the test control plane (pods as processes).
 * Each command that uses kubectl is run here, in document order, or listed below with why it can
 * not run on fake nodes; a kubectl command the runbook gains that this file does not know fails
 * the test.
 *
 * What differs from a real shell: `$NS` is production's namespace, and so is a literal
 * `-n staging` (the staging steps' commands are the same on the one stack here); `<pod>` is a
 * normalize pod's name, as `get pods` above it lists them.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { closeConnections } from "../../components/jetstream/client";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { TOOLS_BIN } from "../helpers/nats-servers";
import { waitForPods } from "../helpers/pod-agent";
import { runbookCommands, USES_KUBECTL } from "../helpers/runbook";

/** Why a kubectl command can not run here: what it needs is a kubelet's, and kwok's nodes have none. */
const KUBELET_ONLY: Array<[RegExp, string]> = [
  [/ port-forward /, "a port-forward is served by the node's kubelet; kwok's fake nodes have none (the tests reach NATS pods on their loopback ports instead)"],
  [/ logs /, "logs are served by the node's kubelet; kwok's fake nodes have none (the pod agent keeps each process's output in its own files)"],
  [/ get podmonitor,prometheusrule$/, "the Prometheus operator's CRDs are not installed on the test control plane (the stacks there set prometheusOperator: false)"],
];

describe("runbook - its kubectl commands against production on the test control plane", () => {
  let k: KubeStack;
  beforeAll(async () => {
    k = await kubeStack("production", { namespaceExists: true });
    await k.stack.ok(["up", "--yes", "--skip-preview"]);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);
  }, 420_000);
  afterAll(async () => {
    await closeConnections();
    await k?.stop();
  });

  it("runs each one that needs no kubelet, in order, each succeeding with what it should show", async () => {
    const commands = runbookCommands().filter((c) => USES_KUBECTL.test(c));
    expect(commands.length).toBeGreaterThan(8);
    const pod = (await k.cluster.list("Pod", k.namespace, "app=normalize-service"))[0].metadata.name as string;
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${TOOLS_BIN}${path.delimiter}${process.env.PATH}`, KUBECONFIG: k.cluster.kubeconfig, NS: k.namespace, EVENT_BUS_NATS_ADMIN_PASSWORD: k.passwords.admin };
    const ran: string[] = [];
    const skipped: string[] = [];
    for (const original of commands) {
      const why = KUBELET_ONLY.find(([re]) => re.test(original));
      if (why) {
        skipped.push(`${original}  (${why[1]})`);
        continue;
      }
      const command = original.replace(/ -n staging /g, ' -n "$NS" ').replace(/<pod>/g, pod);
      const exported = /^export ([A-Z_]+)=/.exec(command)?.[1];
      const r = spawnSync("bash", ["-c", exported ? `${command} && printf %s "$${exported}"` : command], { env, encoding: "utf8", timeout: 330_000 });
      expect({ command: original, as: command, code: r.status, output: r.status === 0 ? "" : `${r.stdout}${r.stderr}`.slice(-2000) }).toEqual({ command: original, as: command, code: 0, output: "" });
      ran.push(command);
      const out = r.stdout;
      // The admin password on-call exports from the password manager, as the deploy job has it: the one the servers know.
      if (exported === "NATS_PASSWORD") expect(out).toBe(k.passwords.admin);
      if (/ rollout status /.test(command)) expect(out).toMatch(/successfully rolled out/);
      if (/ get pods -l app=normalize-service/.test(command)) expect(out.trim().split("\n").filter((l) => l.startsWith("normalize-service-"))).toHaveLength(3);
      if (/ describe pod /.test(command)) expect(out).toMatch(new RegExp(`Name:\\s+${pod}[\\s\\S]*Status:\\s+Running`));
      if (/ get configmap event-bus-config -o yaml/.test(command)) expect(out).toMatch(/EVENT_STREAM_MODE: single/);
    }
    console.log(`runbook kubectl commands run (${ran.length}):\n${ran.join("\n")}\nnot run here (${skipped.length}):\n${skipped.join("\n")}`);
    expect(skipped.length).toBeLessThan(ran.length);
  }, 600_000);
});
