/**
 * `main.ts datasets check [--data-root DIR] [--dataset NAME]`: for each of the paper's
 * datasets, whether its files are under the data root (found / missing / malformed), the
 * sample count per split, the class count and the first problem (what the folder must
 * contain and how to make it). Datasets whose loader is not written yet say so.
 *
 * Exit code: 0 when checking all datasets (the table is the answer); with `--dataset`,
 * 0 if that dataset was found and 1 otherwise; 2 on a usage error.
 *
 * @module
 */
import { LOADERS } from "../data/loaders/mod.ts";
import type { CheckReport } from "../data/loaders/types.ts";
import { DATASET_SPECS } from "../data/specs.ts";
import { defaultOut } from "../runner/permissions.ts";
import { runCommand, UsageError } from "./command.ts";

const SPEC = {
  usage: "usage: main.ts datasets check [--data-root DIR] [--dataset NAME] [--cache-dir DIR]",
  options: {
    "data-root": { type: "string" },
    dataset: { type: "string" },
    "cache-dir": { type: "string" },
  },
  positionals: true,
} as const;

/** One row of the check table: a report, or a dataset without a loader. */
export type CheckRow = CheckReport | { dataset: string; status: "no loader yet" };

/**
 * Runs every registered loader's check on `root` (a dataset without a loader gets a
 * "no loader yet" row; a check that throws becomes a malformed row).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAll } from "./datasets.ts";
 * const root = await Deno.makeTempDir(); // an empty data root: nothing is there yet
 * const rows = await checkAll(root, ["crema-d"]);
 * assert.equal(rows[0].dataset, "crema-d");
 * assert.notEqual(rows[0].status, "found");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function checkAll(root: string, names?: string[]): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const name of names ?? Object.keys(DATASET_SPECS)) {
    const loader = LOADERS[name];
    if (!loader) {
      rows.push({ dataset: name, status: "no loader yet" });
      continue;
    }
    try {
      rows.push(await loader.check(root));
    } catch (e) {
      rows.push({
        dataset: name,
        status: "malformed",
        folder: root,
        problem: e instanceof Error ? e.message : String(e),
      });
    }
  }
  return rows;
}

/**
 * The check table as text: one line per dataset, then indented `problem:` / `note:` lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(formatCheck([{ dataset: "ave", status: "no loader yet" }]).includes("no loader yet"));
 * ```
 */
export function formatCheck(rows: CheckRow[]): string {
  const table = rows.map((r) => {
    if (!("folder" in r)) return [r.dataset, r.status, "", "", ""];
    const counts = r.counts && Object.keys(r.counts).length
      ? Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(" / ")
      : "-";
    return [
      r.dataset,
      r.status,
      counts,
      r.classes === undefined ? "-" : String(r.classes),
      r.folder,
    ];
  });
  const head = ["dataset", "status", "samples", "classes", "folder"];
  const widths = head.map((h, c) => Math.max(h.length, ...table.map((t) => t[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c])).join("  ").trimEnd();
  const out = [line(head)];
  const pad = " ".repeat(widths[0] + 2);
  rows.forEach((r, i) => {
    out.push(line(table[i]));
    if ("folder" in r) {
      if (r.problem) out.push(`${pad}problem: ${r.problem}`);
      for (const n of r.notes ?? []) out.push(`${pad}note: ${n}`);
    }
  });
  return out.join("\n");
}

/**
 * The decoding cache's size: `cache: DIR: N files, X MB (per dataset ...)`. Runs write
 * it under `--cache-dir` (default `<out>/cache`, i.e. `results/cache`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheLine } from "./datasets.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/crema-d`);
 * await Deno.writeFile(`${dir}/crema-d/a.bin`, new Uint8Array(2_000_000));
 * assert.equal(cacheLine(dir), `cache ${dir}: 1 files, 2.0 MB (crema-d 2.0 MB)`);
 * assert.equal(cacheLine(`${dir}/none`), `cache ${dir}/none: empty (no folder yet)`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function cacheLine(dir: string): string {
  const per: string[] = [];
  let files = 0, bytes = 0;
  const walk = (d: string): number => {
    let total = 0;
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) total += walk(p);
      else if (e.isFile) {
        files++;
        total += Deno.statSync(p).size;
      }
    }
    return total;
  };
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  try {
    for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.isDirectory) continue;
      const b = walk(`${dir}/${e.name}`);
      bytes += b;
      per.push(`${e.name} ${mb(b)}`);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return `cache ${dir}: empty (no folder yet)`;
    return `cache ${dir}: unreadable (${(e as Error).message})`;
  }
  return `cache ${dir}: ${files} files, ${mb(bytes)}${per.length ? ` (${per.join(", ")})` : ""}`;
}

/**
 * Entry point of `datasets`; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./datasets.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage line
 * assert.equal(await main(["bogus"]), 2); // not the 'check' sub-command: a usage error
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ values, positionals }) => {
    const [what, ...extra] = positionals;
    if (what !== "check" || extra.length) {
      throw new UsageError(
        `expected the sub-command 'check' (got '${positionals.join(" ")}')\n${SPEC.usage}`,
      );
    }
    const one = values.dataset;
    if (one !== undefined && !DATASET_SPECS[one]) {
      throw new UsageError(
        `unknown dataset '${one}'. Valid datasets: ${Object.keys(DATASET_SPECS).join(", ")}`,
      );
    }
    const root = values["data-root"] ?? "data";
    const rows = await checkAll(root, one === undefined ? undefined : [one]);
    console.log(formatCheck(rows));
    console.log(cacheLine(values["cache-dir"] ?? `${defaultOut()}/cache`));
    if (one !== undefined) return rows[0].status === "found" ? 0 : 1;
    return 0;
  });
}
