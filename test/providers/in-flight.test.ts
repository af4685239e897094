/**
 * The providers count their operations while they run (components/providers/in-flight.ts), so
 * the dynamic-provider host whose engine is gone finishes them before it ends.
 */
import { callsInFlight, counted } from "../../components/providers/in-flight";

describe("provider operations in flight", () => {
  it("counts an operation from its start to its end, failed or not", async () => {
    let release!: () => void;
    const provider = counted({
      create: () => new Promise<{ id: string }>((r) => (release = () => r({ id: "x" }))),
      delete: async () => {
        throw new Error("refused");
      },
    });
    expect(callsInFlight()).toBe(0);
    const creating = provider.create({});
    const deleting = provider.delete!("x", {});
    expect(callsInFlight()).toBe(2);
    await expect(deleting).rejects.toThrow("refused");
    expect(callsInFlight()).toBe(1);
    release();
    await expect(creating).resolves.toEqual({ id: "x" });
    expect(callsInFlight()).toBe(0);
  });

  it("the Stream and Consumer providers are counted", async () => {
    const { streamProvider } = await import("../../components/providers/stream-provider");
    const { consumerProvider } = await import("../../components/providers/consumer-provider");
    // A check with bad input fails before any server is touched; it is still counted while it runs.
    for (const p of [streamProvider, consumerProvider]) {
      const checking = p.check!({}, { name: 42 });
      expect(callsInFlight()).toBe(1);
      await checking.catch(() => undefined);
      expect(callsInFlight()).toBe(0);
    }
  });
});
