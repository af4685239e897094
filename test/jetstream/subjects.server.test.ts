/**
 * Our subject-collision answer against the server's own: for random pairs of subjects, the
 * server accepts two streams holding them exactly when subjectsCollide says they do not collide.
 */
import fc from "fast-check";
import { JetStreamApiError } from "@nats-io/jetstream";
import { streamSubjectProblem, subjectsCollide } from "../../components/jetstream/subjects";
import { streamSubjectPairArb } from "../helpers/arbitraries";
import { addStream, openManager } from "../helpers/jetstream";
import { ServerNode, startServer } from "../helpers/nats-servers";

/** Creates a stream and says what the server answered ("accepted", "overlap" or its refusal). */
async function tryStream(jsm: Awaited<ReturnType<typeof openManager>>["jsm"], name: string, subject: string): Promise<string> {
  return addStream(jsm, { name, subjects: [subject] }).then(
    () => "accepted",
    (e: Error) => (e instanceof JetStreamApiError && e.code === 10065 ? "overlap" : `refused: ${e.message}`),
  );
}

describe("subjects - subjectsCollide agrees with the server", () => {
  let server: ServerNode;
  let admin: Awaited<ReturnType<typeof openManager>>;
  beforeAll(async () => {
    server = await startServer();
    admin = await openManager([server.url]);
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  it("on 300 random pairs, including subjects the server reserves", async () => {
    let collisions = 0;
    let refused = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(streamSubjectPairArb, async ([a, b]) => {
        // First, our validation and the server agree on whether a stream may capture `a` at all.
        // Fresh names each run: re-creating a just-deleted stream can race its store removal.
        const [A, B] = [`PAIR_A_${run}`, `PAIR_B_${run++}`];
        const alone = await tryStream(admin.jsm, A, a);
        expect({ a, server: alone }).toEqual({ a, server: streamSubjectProblem(a) === undefined ? "accepted" : expect.stringMatching(/^refused/) });
        if (streamSubjectProblem(a) !== undefined || streamSubjectProblem(b) !== undefined) {
          refused++;
          if (alone === "accepted") await admin.jsm.streams.delete(A);
          return;
        }
        try {
          const second = await tryStream(admin.jsm, B, b);
          const expected = subjectsCollide(a, b) ? "overlap" : "accepted";
          if (expected === "overlap") collisions++;
          expect({ a, b, server: second }).toEqual({ a, b, server: expected });
        } finally {
          await admin.jsm.streams.delete(A);
          await admin.jsm.streams.delete(B).catch(() => undefined);
        }
      }),
      { numRuns: 300 },
    );
    // The generator must exercise both answers, or the property proves little.
    expect(collisions).toBeGreaterThan(30);
    expect(300 - collisions - refused).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(0);
  });
});
