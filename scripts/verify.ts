/**
 * Verifies a stack's live bus and prints a table (check, expected, seen, pass):
 *
 *   NATS_PASSWORD=... npm run verify -- --stack staging [--observe-ms 3000] [--probe | --no-probe]
 *       [--ingest-url http://ingest-service.staging:4101] [--prometheus-url http://prometheus:9090]
 *
 * Probe events (marked as probes) are written in local and staging unless --no-probe, and in
 * production only with --probe.
 * The connection is the stack's `event-bus:nats` setting; credentials come from NATS_USER and
 * NATS_PASSWORD (or NATS_TOKEN / NATS_CREDS_FILE), never from a file in the repository.
 * Exits 1 when a check fails.
 */
import { parseStackConfig } from "../components/config/stack-config";
import { connectionSchema } from "../components/jetstream/connection-args";
import { tlsFileProblems } from "../components/config/connection-problems";
import { kubernetesConfigOf } from "../components/kubernetes/kubernetes-config";
import { connectionForTlsStage } from "../components/kubernetes/nats-tls";
import { ADMIN_USER, adminInUse } from "../components/kubernetes/nats-users";
import { verifyBus } from "./lib/verify-bus";
import { stackFileConfig } from "./stack-file";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const stack = args.includes("--stack") ? args[args.indexOf("--stack") + 1] : undefined;
  if (!stack) {
    console.error("usage: npm run verify -- --stack <local|staging|production> [--observe-ms N] [--probe | --no-probe] [--ingest-url URL] [--prometheus-url URL]");
    return 2;
  }
  // The stack file of the project it runs in: npm run starts it in the package's root.
  const config = parseStackConfig(stackFileConfig(stack, process.cwd()));
  const env = process.env;
  // NATS_PASSWORD (on-call's, or the deploy job's admin password) replaces the variable the stack file names.
  // Before the servers require TLS (kubernetes.nats.tls.stage "trust" or "offer"), plain only, as the providers (nats-tls.ts).
  const k8s = kubernetesConfigOf(config);
  const { passwordEnv, preview, ...plain } = connectionForTlsStage(config.nats, k8s?.nats.tls);
  // The admin in the slot the stack signs in with (kubernetes.nats.passwordSlots.admin).
  const admin = config.nats.user === undefined || config.nats.user === ADMIN_USER ? (k8s ? adminInUse(k8s.nats.passwordSlots?.admin).user : config.nats.user) : config.nats.user;
  const connection = connectionSchema.parse({
    ...(env.NATS_PASSWORD ? plain : { ...plain, ...(plain.user !== undefined ? { user: admin } : {}), ...(passwordEnv ? { passwordEnv } : {}), ...(preview ? { preview } : {}) }),
    ...(env.NATS_PASSWORD ? { user: env.NATS_USER ?? admin, password: env.NATS_PASSWORD } : {}),
    ...(env.NATS_TOKEN ? { token: env.NATS_TOKEN } : {}),
    ...(env.NATS_CREDS_FILE ? { credsFile: env.NATS_CREDS_FILE } : {}),
  });
  const missing = tlsFileProblems(connection);
  if (missing.length) throw new Error(missing.map((p) => `event-bus:${p.key}: ${p.reason}`).join("\n"));
  const observeMs = args.includes("--observe-ms") ? Number(args[args.indexOf("--observe-ms") + 1]) : undefined;
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const probe = args.includes("--probe") ? true : args.includes("--no-probe") ? false : undefined;
  const rows = await verifyBus(config, connection, { observeMs, probe, ingestUrl: value("--ingest-url"), prometheusUrl: value("--prometheus-url") });
  console.table(rows.map((r) => ({ ...r, pass: r.pass ? "yes" : "NO" })));
  const failed = rows.filter((r) => !r.pass).length;
  console.log(failed ? `${failed} check(s) failed` : `all ${rows.length} checks passed`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
