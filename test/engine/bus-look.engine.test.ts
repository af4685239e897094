/**
 * A preview that could not reach the bus says so on the stack, rather than looking clean: what it
 * did not judge (adoption of what exists, the legacy stream's retirement). `requireBusLook` makes
 * that an error, and is on by default for staging and production: their phase-step guard and
 * adoption judge nothing without the look.
 */
import { engineStack, type EngineStack } from "../helpers/engine";
import { freePort } from "../helpers/nats-servers";

describe("engine - a preview that could not look at the bus", () => {
  let stack: EngineStack;
  beforeAll(async () => {
    // Nothing listens there.
    stack = await engineStack("local", { overrides: { nats: { servers: [`nats://127.0.0.1:${await freePort()}`] } } });
  });
  afterAll(() => stack?.remove());

  it("warns that adoption, the phase step and retirement were not judged", async () => {
    const r = await stack.run(["preview"]);
    const said = r.stdout + r.stderr;
    expect(said).toMatch(/warning: the bus was not looked at \(no answer from nats:\/\/127\.0\.0\.1:\d+, waited up to 10 s\): streams and durables that already exist were not compared with the stack \(adoption\), the step from the live migration phase was not checked, and the legacy stream's retirement was not judged/);
  }, 120_000);

  it("with event-bus:requireBusLook, fails naming the key", async () => {
    await stack.ok(["config", "set", "event-bus:requireBusLook", "true"]);
    const r = await stack.run(["preview"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/event-bus:requireBusLook: the bus was not looked at .* A local stack's preview requires the look/s);
  }, 120_000);

  it("staging requires the look unless told otherwise: its preview fails naming the key, and with requireBusLook false only warns", async () => {
    const staging = await engineStack("staging", { overrides: { kubernetes: undefined, nats: { servers: [`nats://127.0.0.1:${await freePort()}`] } } });
    try {
      const refused = await staging.run(["preview"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/event-bus:requireBusLook: the bus was not looked at .* A staging stack's preview requires the look: run it from where the bus can be reached, or set event-bus:requireBusLook to "false" for this run/s);
      await staging.ok(["config", "set", "event-bus:requireBusLook", "false"]);
      const warned = await staging.ok(["preview"]);
      expect(warned.stdout + warned.stderr).toMatch(/warning: the bus was not looked at/);
    } finally {
      staging.remove();
    }
  }, 180_000);
});
