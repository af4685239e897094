import { JetStreamApiError } from "@nats-io/jetstream";
import { isTransient } from "../../components/jetstream/client";

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
