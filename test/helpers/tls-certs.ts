/**
 * Certificates for tests of NATS over TLS, made with the machine's `openssl` (Debian's package):
 * a CA, and a server certificate it signs for the names a NATS pod answers to (the client
 * Service, the routes through the headless Service) and the loopback addresses the test processes
 * use. Written as a `kubernetes.io/tls` Secret holds them: tls.crt, tls.key, ca.crt.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface TestCerts {
  dir: string;
  /** PEM texts, as the Secret's keys. */
  files: { "tls.crt": string; "tls.key": string; "ca.crt": string };
  caFile: string;
  /** The Secret's data (base64), for the control plane. */
  secretData: Record<string, string>;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: "pipe" });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error("openssl is not installed: apt-get install openssl");
    throw new Error(`openssl ${args.join(" ")}: ${err.stderr?.toString() ?? err.message}`);
  }
}

/** A CA and a server certificate for a NATS cluster in `namespace` (names from its Services), valid for a day. */
export function makeCerts(namespace: string, services: { client: string; headless: string } = { client: "nats", headless: "nats-headless" }, caName = "event-bus test CA"): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-certs-"));
  const names = [
    "localhost",
    services.client,
    `${services.client}.${namespace}`,
    `${services.client}.${namespace}.svc`,
    `*.${services.headless}`,
    `*.${services.headless}.${namespace}.svc`,
  ];
  const san = [...names.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",");
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", `/CN=${caName}`], dir);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", `/CN=${services.client}.${namespace}.svc`], dir);
  fs.writeFileSync(path.join(dir, "ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(["x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt", "-days", "1", "-extfile", "ext.cnf"], dir);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  const files = { "tls.crt": read("tls.crt"), "tls.key": read("tls.key"), "ca.crt": read("ca.crt") };
  return {
    dir,
    files,
    caFile: path.join(dir, "ca.crt"),
    secretData: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
