/**
 * verify's Prometheus checks read `/api/v1/query` answers. No Prometheus server can be built
 * here quickly enough for a unit test, so a loopback HTTP server answers in Prometheus' documented
 * response format; the queries themselves are PromQL-checked with the alerts (test/monitoring).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { prometheusChecks } from "../../scripts/lib/verify-bus";

async function withPrometheus(result: Array<{ metric: Record<string, string>; value: [number, string] }>, run: (url: string, queries: string[]) => Promise<void>) {
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    queries.push(url.searchParams.get("query") ?? "");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe("verify - Prometheus checks", () => {
  it("pass when every HRV success carries the stream label and is on the expected stream", async () => {
    await withPrometheus([{ metric: { stream: "AA_CORE_HOT" }, value: [0, "3.5"] }], async (url, queries) => {
      const rows = await prometheusChecks(url, "AA_CORE_HOT");
      expect(rows.map((r) => [r.check, r.seen, r.pass])).toEqual([
        ["stream label on normalize_hrv_messages_total", "present", true],
        ["HRV successes by stream (Prometheus)", "100.0% on AA_CORE_HOT", true],
      ]);
      expect(queries).toEqual(['sum(rate(normalize_hrv_messages_total{result="success"}[5m])) by (stream)']);
    });
  });

  it("a stack with a namespace asks only for its namespace's series (one Prometheus may watch both environments)", async () => {
    await withPrometheus([{ metric: { stream: "AA_CORE_HOT" }, value: [0, "1"] }], async (url, queries) => {
      await prometheusChecks(url, "AA_CORE_HOT", "production");
      expect(queries).toEqual(['sum(rate(normalize_hrv_messages_total{namespace="production", result="success"}[5m])) by (stream)']);
    });
  });

  it("fail on mixed streams, naming the share", async () => {
    await withPrometheus(
      [
        { metric: { stream: "AA_CORE_HOT" }, value: [0, "3"] },
        { metric: { stream: "ATHLETE_ALLY_EVENTS" }, value: [0, "1"] },
      ],
      async (url) => {
        const rows = await prometheusChecks(url, "AA_CORE_HOT");
        expect(rows[1]).toMatchObject({ seen: "75.0% on AA_CORE_HOT", pass: false });
      },
    );
  });

  it("fail when the stream label is missing or nothing is processed", async () => {
    await withPrometheus([{ metric: {}, value: [0, "2"] }], async (url) => {
      expect((await prometheusChecks(url, "AA_CORE_HOT"))[0]).toMatchObject({ seen: "1 series without it", pass: false });
    });
    await withPrometheus([], async (url) => {
      expect((await prometheusChecks(url, "AA_CORE_HOT")).map((r) => r.pass)).toEqual([false, false]);
    });
  });
});
