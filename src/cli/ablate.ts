/**
 * `main.ts ablate [reproduce flags]`: reproduce Table 5, the ablation of IBML's
 * components (same as `main.ts reproduce table5`).
 *
 * @module
 */
import { main as reproduce } from "./reproduce.ts";

/**
 * Entry point of `ablate`; returns the exit code of `reproduce table5`.
 *
 * @example
 * ```ts ignore
 * await main(["--seeds", "1"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log("usage: main.ts ablate [reproduce flags]   (= main.ts reproduce table5)");
    return 0;
  }
  return await reproduce(["table5", ...args]);
}
