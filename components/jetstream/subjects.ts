/**
 * Subject syntax and matching: the one place that decides whether subjects are valid,
 * whether two of them can capture the same message, and whether one covers another.
 * It follows nats-server's rules (server/sublist.go: SubjectsCollide, subjectIsSubsetMatch).
 */

export const FULL_WILDCARD = ">";
export const TOKEN_WILDCARD = "*";

/** Why a subject is not valid for a stream or a filter, or undefined when it is. */
export function subjectProblem(subject: string): string | undefined {
  if (typeof subject !== "string" || subject.length === 0) return "must be a non-empty string";
  if (/\s/.test(subject)) return "must not contain whitespace";
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.length === 0) return "must not have an empty token (leading, trailing or double '.')";
    if (t.includes(FULL_WILDCARD) && t !== FULL_WILDCARD) return `wildcard '>' must be a whole token, got '${t}'`;
    if (t.includes(TOKEN_WILDCARD) && t !== TOKEN_WILDCARD) return `wildcard '*' must be a whole token, got '${t}'`;
    if (t === FULL_WILDCARD && i !== tokens.length - 1) return "wildcard '>' must be the last token";
  }
  return undefined;
}

/** Subjects the server keeps for itself, and the one request replies travel on: a stream may not capture any subject they match. */
export const RESERVED_SUBJECTS: ReadonlyArray<readonly [string, string]> = [
  ["$JS.>", "the JetStream API"],
  ["$JSC.>", "the JetStream API"],
  ["$NRG.>", "the JetStream API"],
  ["$SYS.>", "the system account"],
  ["_INBOX.>", "request replies (the clients' inbox prefix)"],
];

/** Why a subject can not be captured by a stream (beyond its syntax), or undefined when it can. */
export function streamSubjectProblem(subject: string): string | undefined {
  const syntax = subjectProblem(subject);
  if (syntax) return syntax;
  if (subject === FULL_WILDCARD) return "capturing every subject ('>') needs a no-ack stream, which this project does not manage";
  for (const [reserved, owner] of RESERVED_SUBJECTS) {
    if (subjectsCollide(subject, reserved)) return `overlaps "${reserved}", reserved for ${owner}`;
  }
  return undefined;
}

export function isValidSubject(subject: string): boolean {
  return subjectProblem(subject) === undefined;
}

/** True when some concrete subject is matched by both patterns (what the server calls colliding). */
export function subjectsCollide(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = a.split(".");
  const tb = b.split(".");
  const n = Math.min(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === FULL_WILDCARD || y === FULL_WILDCARD) return true;
    if (x !== y && x !== TOKEN_WILDCARD && y !== TOKEN_WILDCARD) return false;
  }
  return ta.length === tb.length;
}

/** True when every concrete subject matched by `inner` is also matched by `outer`. */
export function subjectIsSubsetOf(inner: string, outer: string): boolean {
  const ti = inner.split(".");
  const to = outer.split(".");
  for (let i = 0; i < to.length; i++) {
    const o = to[i];
    if (o === FULL_WILDCARD) return ti.length > i;
    if (i >= ti.length) return false;
    const x = ti[i];
    if (x === FULL_WILDCARD) return false;
    if (o === TOKEN_WILDCARD) continue;
    if (x !== o) return false;
  }
  return ti.length === to.length;
}

/** True when `filter` captures only subjects that one of `subjects` captures. */
export function coveredBy(filter: string, subjects: readonly string[]): boolean {
  return subjects.some((s) => subjectIsSubsetOf(filter, s));
}

export interface SubjectClash<T> {
  a: T;
  b: T;
  subjectA: string;
  subjectB: string;
}

/** Pairs within one list of subjects that collide (duplicates included), as the server refuses them. */
export function selfOverlaps(subjects: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < subjects.length; i++) {
    for (let j = i + 1; j < subjects.length; j++) {
      if (subjectsCollide(subjects[i], subjects[j])) out.push([subjects[i], subjects[j]]);
    }
  }
  return out;
}

/**
 * Every colliding pair of subjects between different owners (streams), found through a
 * token trie so that thousands of owners are checked without comparing every pair.
 */
export function findCollisions<T>(owners: ReadonlyArray<{ owner: T; subjects: readonly string[] }>): Array<SubjectClash<T>> {
  const trie = new SubjectTrie<{ owner: number; subject: string }>();
  const clashes: Array<SubjectClash<T>> = [];
  owners.forEach((o, index) => {
    const seen = new Set<string>();
    for (const subject of o.subjects) {
      for (const hit of trie.colliding(subject)) {
        if (hit.owner === index) continue;
        const key = `${hit.owner}\u0000${hit.subject}\u0000${subject}`;
        if (seen.has(key)) continue;
        seen.add(key);
        clashes.push({ a: owners[hit.owner].owner, b: o.owner, subjectA: hit.subject, subjectB: subject });
      }
    }
    for (const subject of o.subjects) trie.insert(subject, { owner: index, subject });
  });
  return clashes;
}

interface TrieNode<V> {
  children: Map<string, TrieNode<V>>;
  /** Values whose pattern ends exactly here. */
  values: V[];
}

/** Patterns stored token by token; `colliding` walks only the branches a pattern can meet. */
export class SubjectTrie<V> {
  private readonly root: TrieNode<V> = { children: new Map(), values: [] };

  insert(subject: string, value: V): void {
    let node = this.root;
    for (const token of subject.split(".")) {
      let next = node.children.get(token);
      if (!next) {
        next = { children: new Map(), values: [] };
        node.children.set(token, next);
      }
      node = next;
    }
    node.values.push(value);
  }

  /** Values of every stored pattern that collides with `subject`. */
  colliding(subject: string): V[] {
    const out: V[] = [];
    this.walk(this.root, subject.split("."), 0, out);
    return out;
  }

  private walk(node: TrieNode<V>, tokens: string[], i: number, out: V[]): void {
    // A stored '>' here matches the rest of the query if at least one token remains.
    const storedFull = node.children.get(FULL_WILDCARD);
    if (storedFull && i < tokens.length) out.push(...storedFull.values);
    if (i === tokens.length) {
      out.push(...node.values);
      return;
    }
    const token = tokens[i];
    if (token === FULL_WILDCARD) {
      // The query's '>' matches every stored pattern with at least one more token.
      for (const [t, child] of node.children) {
        if (t === FULL_WILDCARD) continue;
        this.collectAll(child, out);
      }
      return;
    }
    if (token === TOKEN_WILDCARD) {
      for (const [t, child] of node.children) {
        if (t === FULL_WILDCARD) continue;
        this.walk(child, tokens, i + 1, out);
      }
      return;
    }
    const exact = node.children.get(token);
    if (exact) this.walk(exact, tokens, i + 1, out);
    const star = node.children.get(TOKEN_WILDCARD);
    if (star) this.walk(star, tokens, i + 1, out);
  }

  private collectAll(node: TrieNode<V>, out: V[]): void {
    out.push(...node.values);
    for (const child of node.children.values()) this.collectAll(child, out);
  }
}

/** The subjects a stream captures: its subjects, or, when it names none, its own name. */
export function capturedBy(config: { name: string; subjects?: string[] }): string[] {
  return config.subjects?.length ? config.subjects : [config.name];
}

/** The subjects a consumer reads: its filters, or everything its stream captures (">") when it has none. */
export function filtersOf(config: { filterSubject?: string; filterSubjects?: string[] }): string[] {
  return config.filterSubjects ?? (config.filterSubject ? [config.filterSubject] : [FULL_WILDCARD]);
}
