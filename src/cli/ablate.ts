/**
 * `main.ts ablate [reproduce flags]`: reproduce Table 5, the ablation of IBML's
 * components (same as `main.ts reproduce table5`).
 *
 * @module
 */
import { runCommand } from "./command.ts";
import { main as reproduce } from "./reproduce.ts";

/** The flags are `reproduce`'s: read there, but a `--help` anywhere is answered here. */
const SPEC = { usage: "usage: main.ts ablate [reproduce flags]   (= main.ts reproduce table5)" };

/**
 * Entry point of `ablate`; returns the exit code of `reproduce table5`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./ablate.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage line; a real run trains Table 5
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, () => reproduce(["table5", ...args]));
}
