/**
 * Reading one `.npy` array: format versions 1.0, 2.0 and 3.0; little-endian (`<`) or
 * byte-order-free (`|`) dtypes; C-order arrays of any rank, including 0-d scalars and
 * empty arrays. The byte length of the data is checked against the header, so truncation
 * is reported, never returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNpy } from "./npy_read.ts";
 * import { encodeNpy } from "./npy_write.ts";
 * const bytes = encodeNpy({ dtype: "int64", shape: [2], data: BigInt64Array.of(7n, 9n) });
 * const arr = parseNpy(bytes, "labels.npy");
 * assert.deepEqual(arr.shape, [2]);
 * ```
 *
 * @module
 */
import {
  DTYPE_INFO,
  elementCount,
  makeView,
  type NpyArray,
  type NpyData,
  shapeText,
} from "./dtypes.ts";
import { formatError, NpyProblem } from "./error.ts";
import { interpretHeader, NPY_MAGIC, type NpyHeader } from "./npy_header.ts";
import { parsePyLiteral, PyLiteralError } from "./py_literal.ts";

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes one `.npy` buffer; errors are prefixed with `ctx` (file and array). With `copy`
 * false the result may view `bytes`' buffer (for buffers nobody else holds, such as
 * fflate's output); with `copy` true the data is always a fresh buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNpy } from "./npy_read.ts";
 * import { encodeNpy } from "./npy_write.ts";
 * const bytes = encodeNpy({ dtype: "uint8", shape: [3], data: Uint8Array.of(1, 2, 3) });
 * const arr = decodeNpy(bytes, "x.npz: array 'a'", false); // may view `bytes`' buffer
 * assert.deepEqual(arr.data, Uint8Array.of(1, 2, 3));
 * assert.throws(() => decodeNpy(bytes.subarray(0, 20), "x.npz: array 'a'", true), /x\.npz: array 'a'/);
 * ```
 */
export function decodeNpy(bytes: Uint8Array, ctx: string | undefined, copy: boolean): NpyArray {
  const fail = (problem: string) => formatError(ctx, problem);
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw fail("this reader only runs on little-endian hosts");
  }
  for (let i = 0; i < NPY_MAGIC.length && i < bytes.length; i++) {
    if (bytes[i] !== NPY_MAGIC[i]) {
      throw fail("not an .npy array (bad magic bytes; expected the file to start with \\x93NUMPY)");
    }
  }
  if (bytes.length < 10) {
    throw fail(`truncated .npy data (${bytes.length} bytes, shorter than the 10-byte preamble)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else {
    if (bytes.length < 12) {
      throw fail(`truncated .npy data (${bytes.length} bytes, shorter than the preamble)`);
    }
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw fail(
      `truncated .npy data: header says it is ${headerLen} bytes but only ` +
        `${bytes.length - headerStart} bytes follow the preamble`,
    );
  }
  let headerText: string;
  try {
    headerText = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true })
      .decode(bytes.subarray(headerStart, dataStart));
  } catch {
    throw fail("malformed .npy header: not valid UTF-8");
  }

  let header: NpyHeader;
  try {
    header = interpretHeader(parsePyLiteral(headerText));
  } catch (e) {
    if (e instanceof PyLiteralError) throw fail(`malformed .npy header: ${e.message}`);
    if (e instanceof NpyProblem) throw fail(e.message);
    throw e;
  }
  const { dtype, shape } = header;
  const { size } = DTYPE_INFO[dtype];
  const count = elementCount(shape);
  const need = count * size;
  if (!Number.isSafeInteger(need)) throw fail(`array shape ${shapeText(shape)} is too large`);
  const have = bytes.length - dataStart;
  if (have < need) {
    throw fail(
      `truncated .npy data: shape ${shapeText(shape)} of ${dtype} needs ${need} data bytes ` +
        `but only ${have} are present`,
    );
  }
  if (have > need) {
    throw fail(
      `malformed .npy data: ${have - need} unexpected bytes after the ${need} data bytes of ` +
        `shape ${shapeText(shape)} ${dtype}`,
    );
  }
  const absStart = bytes.byteOffset + dataStart;
  let data: NpyData;
  if (!copy && absStart % size === 0 && bytes.buffer instanceof ArrayBuffer) {
    data = makeView(dtype, bytes.buffer, absStart, count);
  } else {
    const own = bytes.slice(dataStart, dataStart + need);
    data = makeView(dtype, own.buffer, 0, count);
  }
  return { dtype, shape, data };
}

/**
 * Parses the bytes of one `.npy` file (format version 1.0, 2.0 or 3.0).
 *
 * The returned `data` is a fresh copy, independent of `bytes`.
 *
 * @param bytes The complete `.npy` file contents.
 * @param name Used as the prefix of error messages, e.g. a file path.
 * @returns The array.
 * @throws {NpyFormatError} On malformed or truncated input and unsupported features
 *   (big-endian, Fortran order, object/structured/complex/float16/string dtypes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNpy } from "./npy_read.ts";
 * import { encodeNpy } from "./npy_write.ts";
 * const path = await Deno.makeTempFile({ suffix: ".npy" });
 * await Deno.writeFile(path, encodeNpy({ dtype: "int64", shape: [3], data: BigInt64Array.of(0n, 1n, 2n) }));
 * const arr = parseNpy(await Deno.readFile(path), path);
 * console.log(arr.dtype, arr.shape); // "int64" [3]
 * assert.deepEqual([arr.dtype, arr.shape], ["int64", [3]]);
 * await Deno.remove(path);
 * ```
 */
export function parseNpy(bytes: Uint8Array, name?: string): NpyArray {
  return decodeNpy(bytes, name, true);
}
