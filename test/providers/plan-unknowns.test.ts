/**
 * planChange with values the engine does not know yet (a preview whose inputs come from another
 * resource's outputs): the unknown part is a change to be made, never a replace guessed, and what
 * is known is still judged.
 */
import { diffStream } from "../../components/jetstream/update-rules";
import { UNKNOWN } from "../../components/jetstream/validation";
import { planChange } from "../../components/providers/jetstream-resource";
import type { StreamConfigArgs } from "../../components/jetstream/stream-args";

const connection = { servers: ["nats://127.0.0.1:4222"] };
const olds = { name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"], maxAge: "48h", storage: "file", connection };
const plan = (news: Record<string, unknown>) =>
  planChange<StreamConfigArgs>({ what: "stream AA_CORE_HOT", identity: ["name"], deleteBeforeReplace: true, loses: "deletes every message it holds", olds, news: { ...olds, ...news }, diff: diffStream });

describe("planChange with values not known during preview", () => {
  it("plans nothing when every value is known and the same", () => {
    expect(plan({})).toEqual({ changes: false, replaces: [], deleteBeforeReplace: true });
  });

  it.each([
    ["a whole field", { subjects: UNKNOWN }],
    ["an element of a list", { subjects: ["athlete-ally.>", UNKNOWN] }],
    ["the connection", { connection: UNKNOWN }],
    ["a server inside the connection", { connection: { servers: [UNKNOWN] } }],
  ])("an unknown value (%s) is a change, with no replace guessed", (_what, news) => {
    expect(plan(news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
  });

  it("still judges what is known: a storage change next to an unknown value is refused without allowReplace", () => {
    expect(() => plan({ subjects: UNKNOWN, storage: "memory" })).toThrow(/stream AA_CORE_HOT: .*storage.*event-bus:allowReplace/s);
  });

  it("and a known change next to an unknown one is planned as an update", () => {
    expect(plan({ subjects: UNKNOWN, maxAge: "24h" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
  });

  it("a rename next to an unknown value is the engine's replacement, once allowed", () => {
    expect(plan({ name: "AA_CORE_HOT_V2", subjects: UNKNOWN, allowReplace: true })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
  });
});
