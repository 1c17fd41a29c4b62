/**
 * What the experiment commands (`reproduce`, `table`, `figure`) share besides the flag
 * convention of command.ts: the one experiment argument, the finished-runs check, and
 * which methods are implemented.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentArg, requireFinishedRuns } from "./report_args.ts";
 * import { UsageError } from "./command.ts";
 * const usage = "usage: main.ts table <experiment>";
 * assert.equal(experimentArg(["table2"], usage), "table2");
 * assert.throws(() => experimentArg([], usage), UsageError);
 * assert.throws(() => requireFinishedRuns(0, "results", "table2"), /no finished runs/);
 * ```
 *
 * @module
 */
import { UsageError } from "./command.ts";

/**
 * The experiment name, the command's one positional argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentArg } from "./report_args.ts";
 * assert.equal(experimentArg(["table2"], "usage: main.ts table <experiment>"), "table2");
 * ```
 */
export function experimentArg(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one experiment name\n${usage}`);
  return positionals[0];
}

/**
 * Throws a {@linkcode UsageError} saying how to make the runs when an experiment has none
 * finished under `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireFinishedRuns } from "./report_args.ts";
 * requireFinishedRuns(3, "results", "table2"); // passes
 * assert.throws(() => requireFinishedRuns(0, "results", "table2"), /no finished runs under results/);
 * ```
 */
export function requireFinishedRuns(runs: number, out: string, experiment: string): void {
  if (runs === 0) {
    throw new UsageError(
      `no finished runs under ${out}/runs/${experiment}: run "deno task reproduce ${experiment}" first`,
    );
  }
}
