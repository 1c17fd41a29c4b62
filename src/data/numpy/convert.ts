/**
 * Array conversion for training: any readable dtype to the Float32Array tfjs takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toFloat32 } from "./convert.ts";
 * const x = toFloat32({ dtype: "int8", shape: [2], data: new Int8Array([-1, 2]) });
 * assert.deepEqual(x, Float32Array.of(-1, 2));
 * ```
 *
 * @module
 */
import { type NpyArray, validateArray } from "./dtypes.ts";

/**
 * Returns the elements as a Float32Array (e.g. to build a tfjs tensor).
 *
 * - float32: returns `arr.data` itself (no copy; mutating one mutates the other).
 * - float64 and all integer dtypes: converted to a new Float32Array, rounding to the nearest
 *   float32 (int64/uint64 go through `Number`, so magnitudes above 2^24 lose precision).
 * - bool: converted to 0 / 1.
 *
 * @param arr The array.
 * @param name Names the array in error messages.
 * @returns The elements in C order.
 * @throws {NpyFormatError} If `arr.data` does not match `arr.dtype` or `arr.shape`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toFloat32 } from "./convert.ts";
 * import { encodeNpz, readNpz } from "./npz.ts";
 * const npz = encodeNpz({ audio_train: { dtype: "int64", shape: [2], data: BigInt64Array.of(3n, 4n) } });
 * const x = readNpz(npz, "features.npz").get("audio_train")!;
 * assert.deepEqual(toFloat32(x, "audio_train"), Float32Array.of(3, 4)); // ready for tf.tensor(..., x.shape)
 * ```
 */
export function toFloat32(arr: NpyArray, name?: string): Float32Array {
  const count = validateArray(arr, name === undefined ? undefined : `array '${name}'`);
  const d = arr.data;
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(count);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = Number(d[i]);
  } else if (arr.dtype === "bool") {
    for (let i = 0; i < count; i++) out[i] = d[i] ? 1 : 0;
  } else {
    out.set(d);
  }
  return out;
}
