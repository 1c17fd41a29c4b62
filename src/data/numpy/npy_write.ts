/**
 * Writing one `.npy` array the way NumPy does: format version 1.0 (2.0 only when the header
 * would exceed 64 KiB), little-endian, C order, data aligned to 64 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy } from "./npy_write.ts";
 * const path = await Deno.makeTempFile({ suffix: ".npy" });
 * await Deno.writeFile(path, encodeNpy({ dtype: "int32", shape: [3], data: new Int32Array([1, 2, 3]) }));
 * assert.equal((await Deno.stat(path)).size, 128 + 12);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
import { DTYPE_INFO, type NpyArray, shapeText, validateArray } from "./dtypes.ts";
import { NPY_MAGIC } from "./npy_header.ts";

/**
 * {@linkcode encodeNpy} with errors prefixed with `ctx` (the archive writer names the key).
 *
 * @example
 * ```ts
 * encodeNpyIn({ dtype: "bool", shape: [1], data: new Uint8Array([1]) }, "array 'mask'").length; // 129
 * ```
 */
export function encodeNpyIn(arr: NpyArray, ctx: string | undefined): Uint8Array<ArrayBuffer> {
  validateArray(arr, ctx);
  const dict = `{'descr': '${DTYPE_INFO[arr.dtype].descr}', 'fortran_order': False, ` +
    `'shape': ${shapeText(arr.shape)}, }`;
  // Pad with spaces and a final newline so the data starts at a multiple of 64 bytes, as NumPy
  // does. Version 1.0 stores the header length in 2 bytes; longer headers need version 2.0.
  let preamble = 10;
  let total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  if (total - preamble > 0xffff) {
    preamble = 12;
    total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - preamble;
  const header = dict + " ".repeat(headerLen - dict.length - 1) + "\n";
  const data = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(total + data.byteLength);
  out.set(NPY_MAGIC, 0);
  const view = new DataView(out.buffer);
  if (preamble === 10) {
    out[6] = 1;
    view.setUint16(8, headerLen, true);
  } else {
    out[6] = 2;
    view.setUint32(8, headerLen, true);
  }
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
}

/**
 * Serialises an array as a `.npy` file: format version 1.0 (2.0 only if the header would exceed
 * 64 KiB), little-endian, C order, data aligned to 64 bytes like NumPy writes it.
 *
 * @param arr The array; `data` must be the typed-array class of `dtype` and hold exactly
 *   `product(shape)` elements.
 * @returns The file bytes.
 * @throws {NpyFormatError} If `arr` is inconsistent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy } from "./npy_write.ts";
 * import { parseNpy } from "./npy_read.ts";
 * const bytes = encodeNpy({ dtype: "int32", shape: [3], data: new Int32Array([1, 2, 3]) });
 * // Written to x.npy: np.load("x.npy") -> array([1, 2, 3], dtype=int32)
 * assert.deepEqual(parseNpy(bytes).data, Int32Array.of(1, 2, 3));
 * ```
 */
export function encodeNpy(arr: NpyArray): Uint8Array<ArrayBuffer> {
  return encodeNpyIn(arr, undefined);
}
