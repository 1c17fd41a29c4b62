/**
 * An `Identity` kernel that shares its input's buffer (a reference count) instead of
 * copying it, as the cpu backend does.
 *
 * @example
 * ```ts ignore
 * import { sharedIdentity } from "./identity.ts";
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * The wasm Identity kernel of the cpu backend: one more reference to the same buffer.
 *
 * @example
 * ```ts ignore
 * replace("Identity", "wasm", sharedIdentity);
 * ```
 */
export const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  if (x.dtype === "string") throw new Error("Identity: string tensors are not supported here");
  (backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
