/**
 * The field tables against the pinned nats-server's own configuration structs (read from its Go
 * source, which scripts/install-tools.sh fetched to build it): every JSON field of StreamConfig
 * and ConsumerConfig is either described or listed as deliberately left alone. A server upgrade
 * that adds a field fails here until the field gets a descriptor (and its proofs).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONSUMER_FIELDS, UNMANAGED_CONSUMER_FIELDS } from "../../components/jetstream/consumer-fields";
import { STREAM_FIELDS, UNMANAGED_STREAM_FIELDS } from "../../components/jetstream/stream-fields";
import { NATS_SERVER_VERSION } from "../../components/versions";

function serverSource(file: string): string {
  const cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
  const full = path.join(cache, "github.com", "nats-io", "nats-server", `v2@v${NATS_SERVER_VERSION}`, "server", file);
  if (!fs.existsSync(full)) throw new Error(`${full} is missing: run bash scripts/install-tools.sh (it builds nats-server ${NATS_SERVER_VERSION} from its module)`);
  return fs.readFileSync(full, "utf8");
}

/** The JSON names of a Go struct's fields. */
function jsonFieldsOf(source: string, struct: string): string[] {
  const start = source.indexOf(`type ${struct} struct {`);
  if (start < 0) throw new Error(`struct ${struct} not found`);
  const body = source.slice(start, source.indexOf("\n}", start));
  return [...body.matchAll(/json:"([^",]+)[^"]*"/g)].map((m) => m[1]).filter((n) => n !== "-");
}

describe(`field tables - against nats-server ${NATS_SERVER_VERSION}'s own config structs`, () => {
  it("reads the structs (the parser finds fields we know are there)", () => {
    expect(jsonFieldsOf(serverSource("stream.go"), "StreamConfig")).toEqual(expect.arrayContaining(["name", "subjects", "max_age", "persist_mode"]));
    expect(jsonFieldsOf(serverSource("consumer.go"), "ConsumerConfig")).toEqual(expect.arrayContaining(["durable_name", "ack_policy", "priority_timeout"]));
  });

  it("every StreamConfig field is described or left alone on purpose", () => {
    const server = jsonFieldsOf(serverSource("stream.go"), "StreamConfig");
    const ours = [...Object.values(STREAM_FIELDS).map((f) => f.wire), ...Object.keys(UNMANAGED_STREAM_FIELDS)];
    expect(server.filter((f) => !ours.includes(f))).toEqual([]);
    expect(ours.filter((f) => !server.includes(f))).toEqual([]);
  });

  it("every ConsumerConfig field is described or left alone on purpose", () => {
    const server = jsonFieldsOf(serverSource("consumer.go"), "ConsumerConfig");
    const ours = [...Object.values(CONSUMER_FIELDS).map((f) => f.wire), ...Object.keys(UNMANAGED_CONSUMER_FIELDS)];
    expect(server.filter((f) => !ours.includes(f))).toEqual([]);
    expect(ours.filter((f) => !server.includes(f))).toEqual([]);
  });
});
