/**
 * V8 flags every ibml process should run with, and their best-effort runtime setting.
 *
 * `--no-liftoff`: compile the tfjs wasm module with V8's optimising compiler from the start
 * instead of its baseline compiler plus tier-up. Measured on the 2-core CI-class machine
 * (bench/README.md "Wasm tiering"): with the default dynamic tiering, a process ran the
 * quick-profile MLP step at either ~1.2 ms or ~2.1 ms (and the stock-kernel step at ~6 or
 * ~12 ms), at random from one process to the next; with `--no-liftoff`, 8 of 8 processes
 * ran at the fast speed. Start-up is not measurably slower.
 *
 * The flag is passed on the command line wherever the project starts Deno itself (deno.json
 * tasks, sweep workers, benchmark workers). A process started by hand
 * (`deno run -A main.ts run ...`) gets it from {@linkcode applyV8Flags} at start-up, before
 * any wasm is compiled; that was measured to help less reliably than the command-line flag
 * (README "Speed": add `--v8-flags=--no-liftoff` by hand for long runs).
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
 * V8_FLAGS_ARG; // "--v8-flags=--no-liftoff"
 * ```
 */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;

/**
 * Sets {@linkcode V8_FLAGS} in the running isolate (no effect on code already compiled).
 *
 * @example
 * ```ts ignore
 * applyV8Flags(); // first thing in main.ts
 * ```
 */
export function applyV8Flags(): void {
  for (const f of V8_FLAGS) setFlagsFromString(f);
}
