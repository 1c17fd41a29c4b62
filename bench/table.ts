/**
 * The bench's number cells and Markdown tables (columns padded to their widest cell), as
 * printed by `deno task bench`, its `--memory` sweep and bench/latency.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fmt, table } from "./table.ts";
 * assert.equal(fmt(3.14159), "3.1");
 * assert.equal(fmt(1234.5), "1235");
 * assert.equal(fmt(undefined), "-");
 * assert.equal(table(["op", "ms"], [["add", fmt(2.5)]]), "| op  | ms  |\n|-----|-----|\n| add | 2.5 |");
 * ```
 *
 * @module
 */

/** A number with `digits` decimals (none from 100 up); `-` when missing or not finite. */
export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return "-";
  return x >= 100 ? x.toFixed(0) : x.toFixed(digits);
}

/** A Markdown table of `rows` under `header`, every column padded to its widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)]
    .join("\n");
}
