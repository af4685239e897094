/**
 * A stack's resources as the engine would see them, without the engine: the program runs under
 * Pulumi mocks and every registration is recorded with its URN, options and inputs. Used to
 * feed the policy pack offline (scripts/policy-check.ts) and by tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../components/config/stack-config";
import { defineStack } from "../../components/stack";
import { sleep } from "../../components/poll";

export interface CapturedResource {
  type: string;
  name: string;
  urn: string;
  parent: string;
  protect: boolean;
  dependencies: string[];
  inputs: Record<string, unknown>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require("@pulumi/pulumi/runtime/settings");

/** Runs the program for `stack` with the given configuration and returns what it registered. */
export async function captureStack(stack: string, rawConfig: Record<string, unknown>): Promise<CapturedResource[]> {
  return captureProgram(stack, () => defineStack(parseStackConfig(rawConfig)));
}

/** Runs any program under mocks as stack `stack` and returns what it registered. */
export async function captureProgram(stack: string, program: () => unknown): Promise<CapturedResource[]> {
  const captured: CapturedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        state: { ...args.inputs, ...(args.type === "random:index/randomPassword:RandomPassword" ? { result: `generated-${args.name}` } : {}) },
      }),
      call: (args) => args.inputs,
    },
    "event-bus",
    stack,
    true,
  );
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) =>
    register(req, (err: unknown, res: any) => {
      if (!err) {
        captured.push({
          type: req.getType(),
          name: req.getName(),
          urn: res.getUrn(),
          parent: req.getParent(),
          protect: req.getProtect(),
          dependencies: req.getDependenciesList(),
          inputs: pulumi.runtime.deserializeProperties(req.getObject()),
        });
      }
      callback(err, res);
    });
  program();
  // Registrations finish asynchronously (inputs resolve, providers serialise): wait for quiet.
  let seen = -1;
  while (seen !== captured.length) {
    seen = captured.length;
    await sleep(250);
  }
  return captured;
}
