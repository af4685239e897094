/**
 * The subject-overlap policy over many streams: 10,000 streams of 5 subjects each through the
 * policy itself, and the collision search against a naive every-pair check on the same input
 * (1,000 streams, as the naive check grows with the square). Run: npm run bench -- overlap-policy
 */
import { findCollisions, subjectsCollide } from "../components/jetstream/subjects";
import { noSubjectOverlap } from "../policies/jetstream-no-subject-overlap";
import { resource } from "../test/helpers/policy-fixtures";
import { printTable } from "./stats";

function streams(n: number): Array<{ owner: number; subjects: string[] }> {
  return Array.from({ length: n }, (_, i) => ({
    owner: i,
    subjects: [`svc${i}.created`, `svc${i}.updated.*`, `svc${i}.audit.>`, `tenant.${i}.events.*`, `metrics.svc${i}`],
  }));
}

function naive(owners: Array<{ owner: number; subjects: string[] }>): number {
  let found = 0;
  for (let i = 0; i < owners.length; i++)
    for (let j = i + 1; j < owners.length; j++)
      for (const a of owners[i].subjects) for (const b of owners[j].subjects) if (subjectsCollide(a, b)) found++;
  return found;
}

function time<T>(fn: () => T): { ms: number; result: T } {
  const t = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, result };
}

async function main() {
  const big = streams(10_000);
  // One planted collision, so both searches have something to find.
  big[9_999].subjects.push("svc42.audit.deep.>");
  const resources = big.map((s) => resource("pulumi-nodejs:dynamic/event-bus:Stream", `s${s.owner}`, { name: `S${s.owner}`, subjects: s.subjects, replicas: 3, maxAge: "48h" }));
  const found: string[] = [];
  const policy = time(() => noSubjectOverlap.validateStack({ resources, getConfig: () => ({}) } as never, (m: string) => found.push(m)));

  const small = streams(1_000);
  small[999].subjects.push("svc42.audit.deep.>");
  const trie = time(() => findCollisions(small).length);
  const pairwise = time(() => naive(small));
  if (trie.result !== pairwise.result) throw new Error(`the searches disagree: trie ${trie.result}, naive ${pairwise.result}`);

  printTable("subject-overlap policy (goal: 10,000 streams x 5 subjects well under a second)", [
    { input: "10,000 streams x 5 subjects", check: "policy (trie)", ms: policy.ms.toFixed(1), violations: found.length },
    { input: "1,000 streams x 5 subjects", check: "trie", ms: trie.ms.toFixed(1), violations: trie.result },
    { input: "1,000 streams x 5 subjects", check: "naive every pair", ms: pairwise.ms.toFixed(1), violations: pairwise.result },
    { input: "1,000 streams x 5 subjects", check: "naive / trie", ms: (pairwise.ms / trie.ms).toFixed(0) + "x", violations: "" },
  ]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
