/**
 * Reader and writer for NumPy `.npy` arrays and `.npz` archives.
 *
 * Zip handling uses the `fflate` npm package (zip.ts: synchronous, dependency-free, handles
 * both `np.savez` (stored) and `np.savez_compressed` (deflate) archives, including the zip64
 * extra fields NumPy writes; fflate also computes the CRC-32 that each member is checked
 * against). The `.npy` format itself is small and documented
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), so it is parsed
 * here (npy_read.ts, npy_header.ts) with a strict parser for the Python-literal header dict
 * (py_literal.ts) instead of regular expressions.
 *
 * Supported: format versions 1.0, 2.0 and 3.0; little-endian ("<") or byte-order-free ("|")
 * dtypes float32, float64, int8/16/32/64, uint8/16/32/64 and bool; C-order (row-major) arrays
 * of any rank, including 0-d scalars and empty arrays.
 *
 * Not supported, each rejected with an {@linkcode NpyFormatError} that says what to do instead:
 * Fortran-order arrays, big-endian (">") dtypes, object arrays ("|O", pickled Python objects),
 * structured/record dtypes, complex, float16, string, datetime and void dtypes. Members of an
 * `.npz` archive whose names do not end in `.npy` are ignored (NumPy never writes them). Each
 * member's zip CRC-32 is verified (fflate does not check it), and every array's byte length
 * is checked against its header, so corruption and truncation are reported, never returned.
 *
 * @example
 * ```ts
 * import { encodeNpz, readNpz, toFloat32 } from "./mod.ts";
 * const npz = encodeNpz({ x: { dtype: "int32", shape: [2], data: new Int32Array([1, 2]) } });
 * toFloat32(readNpz(npz).get("x")!); // Float32Array [1, 2]
 * ```
 *
 * @module
 */
export type { NpyArray, NpyDtype } from "./dtypes.ts";
export { NpyFormatError } from "./error.ts";
export { parseNpy } from "./npy_read.ts";
export { encodeNpy } from "./npy_write.ts";
export { encodeNpz, loadNpz, readNpz } from "./npz.ts";
export { toFloat32 } from "./convert.ts";
