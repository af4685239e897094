import { JetStreamApiError } from "@nats-io/jetstream";
import { isTransient, unsupportedServer } from "../../components/jetstream/client";

const apiError = (err_code: number, description: string, code = 500) => new JetStreamApiError({ code, err_code, description });

describe("client - which server answers are worth waiting out", () => {
  it.each([
    [apiError(10008, "JetStream system temporarily unavailable"), true],
    [apiError(10005, "no suitable peers for placement, peer offline"), true],
    [apiError(10049, "error creating store for stream"), true],
    [apiError(10049, "stream name is required"), false],
    [apiError(10065, "subjects overlap with an existing stream", 400), false],
    [apiError(10052, "stream configuration update can not change storage type", 500), false],
  ])("%s -> %s", (e, transient) => {
    expect(isTransient(e)).toBe(transient);
  });
});

describe("client - the servers the stack can run on", () => {
  it("refuses a nats-server older than 2.10, which drops the metadata the ownership stamps and claims live in", () => {
    expect(unsupportedServer("2.9.25")).toBe("runs nats-server 2.9.25, which keeps no stream or consumer metadata: the stack's ownership stamps and claims live there; upgrade to 2.10.0 or later");
    expect(unsupportedServer(undefined)).toMatch(/^runs nats-server \(version not reported\)/);
    for (const ok of ["2.10.0", "2.10.26", "2.11.0-RC.1", "2.15.2", "3.0.0"]) expect({ ok, refused: unsupportedServer(ok) }).toEqual({ ok, refused: undefined });
  });
});
