/**
 * `main.ts list methods|datasets|experiments`.
 *
 * @module
 */
import { listDatasets } from "../data/registry.ts";
import { describeParams } from "../methods/params.ts";
import { listMethods } from "../methods/registry.ts";
import { runCommand, UsageError } from "./command.ts";

/** `list` reads its one argument itself: no flags, no `--help`. */
const SPEC = { usage: "usage: main.ts list methods|datasets|experiments", help: false } as const;

function table(rows: { name: string; description: string }[]): string {
  const w = Math.max(...rows.map((r) => r.name.length));
  return rows.map((r) => `${r.name.padEnd(w)}  ${r.description}`).join("\n");
}

/**
 * `list methods`: each method with its description, then its parameters from their
 * declaration (src/methods/params.ts): name, default, allowed values, doc line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(methodsHelp().includes("method.lambda"));
 * ```
 */
export function methodsHelp(): string {
  const methods = listMethods();
  const w = Math.max(...methods.map((m) => m.name.length));
  const lines: string[] = [
    "Methods and their parameters (--set method.<name>=value): name  = default  (allowed values)  meaning",
    "",
  ];
  for (const m of methods) {
    lines.push(`${m.name.padEnd(w)}  ${m.description}`);
    const rows = describeParams(m.params).map((r) => [
      `method.${r.name}`,
      `= ${r.default}`,
      `(${r.allowed})`,
      r.doc,
    ]);
    const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
    for (const r of rows) {
      lines.push(`    ${r.slice(0, 3).map((c, i) => c.padEnd(widths[i])).join("  ")}  ${r[3]}`);
    }
  }
  return lines.join("\n");
}

/**
 * Entry point of `list`; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./list.ts";
 * assert.equal(await main(["methods"]), 0); // prints the methods and their parameters
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ positionals }) => {
    const what = positionals[0];
    if (what === "methods") console.log(methodsHelp());
    else if (what === "datasets") {
      // The paper's eight, then the feature datasets declared in experiment files.
      const { listExperiments } = await import("../experiment/mod.ts");
      const { featureDatasets } = await import("../experiment/names.ts");
      await listExperiments();
      const configured = featureDatasets().map((f) => ({
        name: f.name,
        description: `feature file ${f.file}${f.strong ? ` (strong: ${f.strong})` : ""}`,
      }));
      console.log(table([...listDatasets(), ...configured]));
      console.log(
        "npz:PATH   any feature file in the documented layout (see README, Feature files)",
      );
    } else if (what === "experiments") {
      // The experiment catalog lives in src/experiment (optional until experiments exist).
      const { listExperiments } = await import("../experiment/mod.ts") as unknown as {
        listExperiments?: () => Promise<{ name: string; description?: string; title?: string }[]>;
      };
      if (!listExperiments) throw new UsageError("no experiment catalog yet");
      console.log(
        table(
          (await listExperiments()).map((e) => ({
            name: e.name,
            description: e.description ?? e.title ?? "",
          })),
        ),
      );
    } else throw new UsageError(`${SPEC.usage} (got '${what ?? ""}')`);
    return 0;
  });
}
