/** Types of test/tiers.js (plain JavaScript: jest.config.js and the sequencer read it as it is). */
export type Tier = "fast" | "full";
export const TIER_ENV: string;
export const SHARED_KUBE_WANTED_ENV: string;
export const TIERS: Record<Tier, { maxWorkers: number; ignore: string[] }>;
export const FULL_ONLY: Array<[string, string]>;
export function tierOf(value: string | undefined): Tier;
export function usesSharedControlPlane(testPath: string): boolean;
export function rank(testPath: string): number;
