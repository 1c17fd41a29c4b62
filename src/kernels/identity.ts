/**
 * An `Identity` kernel that shares its input's buffer (a reference count) instead of
 * copying it, as the cpu backend does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedIdentity } from "./identity.ts";
 * assert.equal(typeof sharedIdentity, "function");
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * The wasm Identity kernel of the cpu backend: one more reference to the same buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { sharedIdentity } from "./identity.ts";
 * import { replace } from "./replace.ts";
 * await tf.setBackend("wasm");
 * replace("Identity", "wasm", sharedIdentity);
 * const x = tf.tensor1d([1, 2]);
 * const y = tf.engine().runKernel("Identity", { x }) as tf.Tensor; // the same buffer, no copy
 * assert.deepEqual(Array.from(await y.data()), [1, 2]);
 * ```
 */
export const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  if (x.dtype === "string") throw new Error("Identity: string tensors are not supported here");
  (backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
