/**
 * `main.ts list methods|datasets|experiments`.
 *
 * @module
 */
import { listDatasets } from "../data/registry.ts";
import { listMethods } from "../methods/registry.ts";
import { runCommand, UsageError } from "./command.ts";

/** `list` reads its one argument itself: no flags, no `--help`. */
const SPEC = { usage: "usage: main.ts list methods|datasets|experiments", help: false } as const;

function table(rows: { name: string; description: string }[]): string {
  const w = Math.max(...rows.map((r) => r.name.length));
  return rows.map((r) => `${r.name.padEnd(w)}  ${r.description}`).join("\n");
}

/**
 * Entry point of `list`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["methods"]);
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ positionals }) => {
    const what = positionals[0];
    if (what === "methods") console.log(table(listMethods()));
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
