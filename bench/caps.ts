/**
 * The bench's time limits per measurement: `--cap-s` (a first step slower than this skips the
 * model on that engine) and `--max-s` (stop timing after this many seconds once 3 steps are
 * timed). A quick run keeps both at 15 s. `--compare` is the paper-backbone table, whose first
 * steps take 20-70 s here (the CREMA-D pair at batch 64: about 20 s on native, 60-70 s on wasm
 * in micro-batches), so it defaults to 400 and 30 and measures every backbone on both engines.
 * Given flags win either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepCaps } from "./caps.ts";
 * assert.deepEqual(stepCaps({ compare: false }), { capS: 15, maxS: 15 });
 * assert.deepEqual(stepCaps({ compare: true }), { capS: 400, maxS: 30 });
 * assert.deepEqual(stepCaps({ compare: true, capS: "60" }), { capS: 60, maxS: 30 });
 * ```
 *
 * @module
 */

/** The limits of a quick run and of `--compare`, in seconds. */
export const CAPS = Object.freeze({
  quick: Object.freeze({ capS: 15, maxS: 15 }),
  compare: Object.freeze({ capS: 400, maxS: 30 }),
});

/** `--cap-s` and `--max-s` as given (strings, from the command line), else the mode's default. */
export function stepCaps(
  o: { compare: boolean; capS?: string; maxS?: string },
): { capS: number; maxS: number } {
  const d = o.compare ? CAPS.compare : CAPS.quick;
  return {
    capS: o.capS === undefined ? d.capS : Number(o.capS),
    maxS: o.maxS === undefined ? d.maxS : Number(o.maxS),
  };
}
