/**
 * The step plan a preview wrote (EVENT_BUS_STEP_PLAN_FILE, components/plan/explain.ts), as the
 * workflows show it: the pull-request comment that sits above pulumi/actions' own (made as a
 * placeholder before the preview, then filled in), the job summary, and an annotation (shown
 * above every job summary, where the approver of production looks first). Pure, but for
 * `upsertComment`, which speaks GitHub's REST API.
 */

/** What marks the comment of a stack's plan, so that each push edits it in place. */
export const commentMarker = (stack: string) => `<!-- event-bus step plan: ${stack} -->`;

/** The plan as Markdown: a heading, then the plan as the preview printed it; or why there is none. */
export function planMarkdown(stack: string, plan: string | undefined, placeholder = false): string {
  const head = `${commentMarker(stack)}\n### Step plan: ${stack}\n\n`;
  if (placeholder) return `${head}_The preview of ${stack} is running; its plan comes here, above the preview's own comment._\n`;
  if (!plan?.trim()) return `${head}**No plan:** the preview printed none (it failed before the program planned; see the preview below).\n`;
  return `${head}\`\`\`text\n${plan.trimEnd()}\n\`\`\`\n`;
}

/** A workflow command that shows the plan as an annotation (its newlines escaped as GitHub reads them). */
export function planAnnotation(stack: string, plan: string | undefined): string {
  const escape = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  return `::notice title=Step plan (${stack})::${escape(plan?.trimEnd() || "no plan: the preview printed none")}`;
}

export interface GitHubTarget {
  api: string;
  repository: string;
  issue: number;
  token: string;
}

/** Makes the stack's plan comment, or edits the one already there (found by its marker). */
export async function upsertComment(t: GitHubTarget, stack: string, body: string): Promise<"created" | "updated"> {
  const headers = { Authorization: `Bearer ${t.token}`, Accept: "application/vnd.github+json", "Content-Type": "application/json" };
  const base = `${t.api}/repos/${t.repository}/issues`;
  // Every page of the pull request's comments, until the plan's is found.
  let mine: { id: number } | undefined;
  for (let page = 1; !mine; page++) {
    const listed = await fetch(`${base}/${t.issue}/comments?per_page=100&page=${page}`, { headers });
    if (!listed.ok) throw new Error(`GitHub: listing the comments of #${t.issue}: HTTP ${listed.status}`);
    const comments = (await listed.json()) as Array<{ id: number; body?: string }>;
    mine = comments.find((c) => c.body?.startsWith(commentMarker(stack)));
    if (comments.length < 100) break;
  }
  const sent = mine
    ? await fetch(`${base}/comments/${mine.id}`, { method: "PATCH", headers, body: JSON.stringify({ body }) })
    : await fetch(`${base}/${t.issue}/comments`, { method: "POST", headers, body: JSON.stringify({ body }) });
  if (!sent.ok) throw new Error(`GitHub: ${mine ? "editing" : "making"} the plan comment on #${t.issue}: HTTP ${sent.status}`);
  return mine ? "updated" : "created";
}
