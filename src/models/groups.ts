/**
 * A batch made of equal groups along its first axis (the multi-view encoder's views, stacked
 * view after view): split it into the groups and join them back.
 *
 * One place for the one-group case: tfjs cannot differentiate a split into one part (its
 * gradient hands a lone tensor to `concat`, which fails with "Pass at least one tensor to
 * concat"), so one group is the batch itself, with no split and no join.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The `groups` equal parts of `x` along its first axis, in order (`[x]` for one group).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { splitGroups } from "./groups.ts";
 * await selectBackend("wasm");
 * const x = tf.tensor2d([[1], [2], [3], [4]]);
 * assert.deepEqual(splitGroups(x, 2).map((p) => Array.from(p.dataSync())), [[1, 2], [3, 4]]);
 * assert.equal(splitGroups(x, 1)[0], x);
 * ```
 */
export function splitGroups<T extends tf.Tensor>(x: T, groups: number): T[] {
  return groups === 1 ? [x] : tf.split(x, groups, 0) as T[];
}

/**
 * `f` applied to each group of `x` on its own, the results joined back along the first
 * axis in order (`f(x)` for one group).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { mapGroups } from "./groups.ts";
 * await selectBackend("wasm");
 * const x = tf.tensor1d([1, 3, 10, 30]);
 * const centred = mapGroups(x, 2, (part) => tf.sub(part, tf.mean(part))); // per-group mean
 * assert.deepEqual(Array.from(centred.dataSync()), [-1, 1, -10, 10]);
 * ```
 */
export function mapGroups<T extends tf.Tensor>(x: T, groups: number, f: (part: T) => T): T {
  const parts = splitGroups(x, groups).map(f);
  return parts.length === 1 ? parts[0] : tf.concat(parts, 0) as T;
}
