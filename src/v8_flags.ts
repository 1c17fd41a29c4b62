/**
 * V8 flags every ibml process should run with, and their best-effort runtime setting.
 *
 * `--no-liftoff`: compile the tfjs wasm module with V8's optimising compiler from the start
 * instead of its baseline compiler plus tier-up. On the 2-core CI-class machine small training
 * steps run at one of two speeds (about 2x apart) from one process to the next; with this flag
 * 8 of 8 processes ran fast in one trial and 3 of 6 slow in a later one (bench/README.md
 * "Bimodal step times"), so it may help and costs nothing measurable at start-up.
 *
 * The flag is passed on the command line wherever the project starts Deno itself (deno.json
 * tasks, sweep workers, benchmark workers). A process started by hand
 * (`deno run -A main.ts run ...`) gets it from {@linkcode applyV8Flags} at start-up, before
 * any wasm is compiled.
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";

/** The flags (V8 syntax). */
export const V8_FLAGS: readonly string[] = ["--no-liftoff"];

/**
 * The Deno command-line argument carrying {@linkcode V8_FLAGS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { V8_FLAGS_ARG } from "./v8_flags.ts";
 * assert.equal(V8_FLAGS_ARG, "--v8-flags=--no-liftoff");
 * ```
 */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;

/**
 * Sets {@linkcode V8_FLAGS} in the running isolate (no effect on code already compiled).
 *
 * @example
 * ```ts
 * import { applyV8Flags } from "./v8_flags.ts";
 * applyV8Flags(); // first thing in main.ts
 * ```
 */
export function applyV8Flags(): void {
  for (const f of V8_FLAGS) setFlagsFromString(f);
}
