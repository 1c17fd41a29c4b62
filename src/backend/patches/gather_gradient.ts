/**
 * Patch 3: the GatherV2 gradient via `scatterND`, which the wasm engine has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { patchGatherGradient } from "./gather_gradient.ts";
 * patchGatherGradient();
 * assert.ok(tf.getGradient("GatherV2"));
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { onNativeBackend } from "./kernel_ops.ts";

type GradFunc = tf.GradConfig["gradFunc"];

/**
 * Patch 3: the GatherV2 gradient for axis 0 without batch dims, via `scatterND` (which
 * sums duplicate indices, as the gradient must). The stock gradient uses
 * `UnsortedSegmentSum`, which wasm lacks. The indices get a float zero gradient instead of
 * the stock int32 one, which the engine rejects when the indices lie on the tape. Other
 * axes and batchDims keep the stock gradient.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { patchGatherGradient } from "./gather_gradient.ts";
 * patchGatherGradient(); // once: installGradPatches does it
 * await tf.setBackend("wasm"); // no UnsortedSegmentSum, which the stock gradient needs
 * const dx = tf.grad((x) => tf.sum(tf.gather(x, [0, 0, 2])))(tf.tensor1d([1, 2, 3]));
 * assert.deepEqual(Array.from(await dx.data()), [2, 0, 1]);
 * ```
 */
export function patchGatherGradient(): void {
  const stock = tf.getGradient("GatherV2");
  const gradFunc: GradFunc = (dy, saved, attrs) => {
    const [x, indices] = saved;
    const a = attrs as unknown as tf.GatherV2Attrs;
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    if (axis !== 0 || (a.batchDims ?? 0) !== 0 || onNativeBackend()) {
      return stock.gradFunc(dy, saved, attrs);
    }
    return {
      x: () =>
        tf.scatterND(
          tf.reshape(indices, [indices.size, 1]),
          tf.reshape(dy as tf.Tensor, [indices.size, ...x.shape.slice(1)]),
          x.shape,
        ),
      indices: () => tf.zeros(indices.shape, "float32"),
    };
  };
  tf.registerGradient({ kernelName: "GatherV2", inputsToSave: ["x", "indices"], gradFunc });
}
