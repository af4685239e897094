/**
 * The rendered nats.conf is accepted by the real pinned nats-server (its configuration test,
 * `-t`), with the pod's paths made local, the passwords file it includes beside it as the pod
 * mounts it, and its environment set as Kubernetes sets it; a broken file is refused, so the check is not a formality.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseStackConfig } from "../../components/config/stack-config";
import { kubernetesConfigOf } from "../../components/kubernetes/kubernetes-config";
import { renderKubernetes } from "../../components/kubernetes/manifests";
import { PID_FILE } from "../../components/kubernetes/nats-conf";
import { EVENT_BUS_LAYOUT } from "../../components/kubernetes/nats-layout";
import { TLS_DIR } from "../../components/kubernetes/nats-tls";
import { makeCerts } from "../helpers/tls-certs";
import { computeTopology } from "../../components/topology/topology";
import type { NatsUser } from "../../components/kubernetes/nats-users";
import { writeNatsConfFiles } from "../helpers/nats-conf-files";
import { NATS_SERVER_BIN } from "../helpers/nats-servers";
import { stackConfigFile } from "../helpers/stack-files";

const run = promisify(execFile);

async function serverCheck(conf: string, env: Record<string, string>, users: NatsUser[], routes: string[]): Promise<{ ok: boolean; output: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-conf-"));
  // The servers' TLS files (production's), as the Secret mounted at TLS_DIR holds them.
  const certs = conf.includes(TLS_DIR) ? makeCerts("production") : undefined;
  try {
    const local = conf
      .replace(EVENT_BUS_LAYOUT.storeDir, path.join(dir, "jetstream"))
      .replace(PID_FILE, path.join(dir, "nats.pid"))
      .replaceAll(TLS_DIR, certs?.dir ?? TLS_DIR);
    const file = writeNatsConfFiles(dir, local, users, (name) => `test-${name}-password`, routes);
    const r = await run(NATS_SERVER_BIN, ["-t", "-c", file], { env: { ...process.env, ...env } }).then(
      (x) => ({ ok: true, output: x.stdout + x.stderr }),
      (e: { stdout: string; stderr: string }) => ({ ok: false, output: e.stdout + e.stderr }),
    );
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    certs?.remove();
  }
}

describe.each(["staging", "production"])("nats.conf of %s - accepted by the pinned nats-server", (stack) => {
  const config = parseStackConfig(stackConfigFile(stack));
  const m = renderKubernetes(config, computeTopology(config), kubernetesConfigOf(config)!);
  const conf = m.natsConfig.data!["nats.conf"];
  // The pod's environment holds only its name: the passwords come as hashes, from the included file.
  const env = { POD_NAME: "nats-0" };

  it("passes the server's configuration test", async () => {
    const r = await serverCheck(conf, env, m.users, m.natsRoutes);
    expect(r).toMatchObject({ ok: true });
  });

  it("a typo in it is refused", async () => {
    const r = await serverCheck(conf.replace("lame_duck_duration: 30s", "lame_duck_duration: thirty"), env, m.users, m.natsRoutes);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/lame_duck_duration|duration/i);
  });
});
