/**
 * Checking a run record's `summary.json`: readable JSON, the fields reports need, and the
 * checksum the run wrote into it (`record_sha256`: sha-256 of the summary's canonical JSON
 * without that field), so a truncated, broken or edited record is told apart from a
 * finished one. A summary without a checksum (written before it existed) is accepted.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The summary field holding the record's checksum. */
export const CHECKSUM_FIELD = "record_sha256";

/** JSON with object keys sorted. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The checksum of a summary (its `record_sha256` field left out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(summaryChecksum({ a: 1, record_sha256: "x" }) === summaryChecksum({ a: 1 }));
 * ```
 */
export function summaryChecksum(summary: Record<string, unknown>): string {
  const { [CHECKSUM_FIELD]: _drop, ...rest } = summary;
  return createHash("sha256").update(canonical(rest)).digest("hex");
}

/**
 * A summary with its checksum added.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = withChecksum({ method: "concat" });
 * assert.equal(typeof s.record_sha256, "string");
 * ```
 */
export function withChecksum<T extends Record<string, unknown>>(
  summary: T,
): T & { record_sha256: string } {
  return { ...summary, [CHECKSUM_FIELD]: summaryChecksum(summary) };
}

const REQUIRED: [string, string][] = [
  ["method", "string"],
  ["dataset", "string"],
  ["seed", "number"],
  ["final", "object"],
  ["best", "object"],
  ["config_hash", "string"],
];

/**
 * What is wrong with a parsed summary, or null when nothing is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(summaryProblem({ method: "x" }), "missing or mistyped fields: dataset, seed, final, best, config_hash");
 * ```
 */
export function summaryProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const s = value as Record<string, unknown>;
  const bad = REQUIRED.filter(([k, t]) => typeof s[k] !== t || s[k] === null).map(([k]) => k);
  if (bad.length) return `missing or mistyped fields: ${bad.join(", ")}`;
  const sum = s[CHECKSUM_FIELD];
  if (sum !== undefined && sum !== summaryChecksum(s)) {
    return `checksum mismatch (${CHECKSUM_FIELD}): the record was changed after the run wrote it`;
  }
  return null;
}

/** The result of {@linkcode readSummaryChecked}. */
export type CheckedSummary =
  | { ok: true; summary: Record<string, unknown> & { config_hash: string } }
  | { ok: false; missing: true }
  | { ok: false; missing: false; problem: string };

/**
 * Reads and checks `<dir>/summary.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSummaryChecked } from "./record_check.ts";
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await readSummaryChecked(dir), { ok: false, missing: true }); // not finished
 * await Deno.writeTextFile(`${dir}/summary.json`, "");
 * const r = await readSummaryChecked(dir);
 * if (!r.ok && !r.missing) console.error(r.problem); // "empty"
 * assert.ok(!r.ok && !r.missing && r.problem === "empty");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSummaryChecked(dir: string): Promise<CheckedSummary> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/summary.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, missing: true };
    return { ok: false, missing: false, problem: `unreadable (${(e as Error).message})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const what = text.trim() === "" ? "empty" : `not valid JSON (${(e as Error).message})`;
    return { ok: false, missing: false, problem: what };
  }
  const problem = summaryProblem(parsed);
  if (problem) return { ok: false, missing: false, problem };
  return { ok: true, summary: parsed as Record<string, unknown> & { config_hash: string } };
}
