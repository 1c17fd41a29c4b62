/**
 * The element types of NumPy arrays that can be read and written, the array type, and the
 * typed-array views of each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DTYPE_INFO, type NpyArray } from "./dtypes.ts";
 * const a: NpyArray = { dtype: "int16", shape: [2], data: new Int16Array([1, 2]) };
 * assert.equal(DTYPE_INFO[a.dtype].descr, "<i2");
 * ```
 *
 * @module
 */
import { formatError } from "./error.ts";

/** Element types that can be read and written. Names follow NumPy's dtype names. */
export type NpyDtype =
  | "float32"
  | "float64"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "bool";

/**
 * A dense, C-order (row-major) n-dimensional array.
 *
 * `data` holds `shape.reduce((a, b) => a * b, 1)` elements (a 0-d scalar has `shape: []` and one
 * element). The typed-array class is fixed by `dtype`: float32 -> Float32Array, float64 ->
 * Float64Array, int8 -> Int8Array, uint8 -> Uint8Array, int16 -> Int16Array, uint16 ->
 * Uint16Array, int32 -> Int32Array, uint32 -> Uint32Array, int64 -> BigInt64Array, uint64 ->
 * BigUint64Array, bool -> Uint8Array (0 = false, non-zero = true).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type NpyArray, validateArray } from "./dtypes.ts";
 * const a: NpyArray = { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
 * assert.equal(validateArray(a, undefined), 4);
 * ```
 */
export interface NpyArray {
  /** Element type. */
  dtype: NpyDtype;
  /** Dimensions, outermost first; `[]` for a scalar. */
  shape: number[];
  /** Elements in C (row-major) order. */
  data:
    | Float32Array
    | Float64Array
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | BigInt64Array
    | BigUint64Array;
}

/** The typed array of an {@linkcode NpyArray}. */
export type NpyData = NpyArray["data"];

/** How a dtype is written and stored. */
export interface DtypeInfo {
  /** descr written by the encoder (what NumPy writes on a little-endian machine). */
  descr: string;
  /** Bytes per element. */
  size: number;
}

/**
 * The descr and element size of every dtype.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DTYPE_INFO } from "./dtypes.ts";
 * assert.equal(DTYPE_INFO.float64.size, 8);
 * ```
 */
export const DTYPE_INFO: Readonly<Record<NpyDtype, DtypeInfo>> = {
  float32: { descr: "<f4", size: 4 },
  float64: { descr: "<f8", size: 8 },
  int8: { descr: "|i1", size: 1 },
  uint8: { descr: "|u1", size: 1 },
  int16: { descr: "<i2", size: 2 },
  uint16: { descr: "<u2", size: 2 },
  int32: { descr: "<i4", size: 4 },
  uint32: { descr: "<u4", size: 4 },
  int64: { descr: "<i8", size: 8 },
  uint64: { descr: "<u8", size: 8 },
  bool: { descr: "|b1", size: 1 },
};

/**
 * kind+size (descr without the byte-order character) -> dtype.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CODE_TO_DTYPE } from "./dtypes.ts";
 * assert.equal(CODE_TO_DTYPE["i8"], "int64");
 * ```
 */
export const CODE_TO_DTYPE: Readonly<Record<string, NpyDtype>> = {
  f4: "float32",
  f8: "float64",
  i1: "int8",
  u1: "uint8",
  i2: "int16",
  u2: "uint16",
  i4: "int32",
  u4: "uint32",
  i8: "int64",
  u8: "uint64",
  b1: "bool",
};

/**
 * Whether `x` names a supported dtype.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDtype } from "./dtypes.ts";
 * assert.equal(isDtype("float32"), true);
 * assert.equal(isDtype("float16"), false);
 * ```
 */
export function isDtype(x: unknown): x is NpyDtype {
  return typeof x === "string" && Object.hasOwn(DTYPE_INFO, x);
}

/**
 * A typed-array view of `n` elements of `dtype` at `byteOffset` of `buf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeView } from "./dtypes.ts";
 * const v = makeView("int32", new ArrayBuffer(8), 0, 2);
 * assert.ok(v instanceof Int32Array);
 * assert.equal(v.length, 2);
 * ```
 */
export function makeView(
  dtype: NpyDtype,
  buf: ArrayBuffer,
  byteOffset: number,
  n: number,
): NpyData {
  switch (dtype) {
    case "float32":
      return new Float32Array(buf, byteOffset, n);
    case "float64":
      return new Float64Array(buf, byteOffset, n);
    case "int8":
      return new Int8Array(buf, byteOffset, n);
    case "uint8":
    case "bool":
      return new Uint8Array(buf, byteOffset, n);
    case "int16":
      return new Int16Array(buf, byteOffset, n);
    case "uint16":
      return new Uint16Array(buf, byteOffset, n);
    case "int32":
      return new Int32Array(buf, byteOffset, n);
    case "uint32":
      return new Uint32Array(buf, byteOffset, n);
    case "int64":
      return new BigInt64Array(buf, byteOffset, n);
    case "uint64":
      return new BigUint64Array(buf, byteOffset, n);
  }
}

/**
 * Whether `data` is the typed-array class of `dtype`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataMatchesDtype } from "./dtypes.ts";
 * assert.equal(dataMatchesDtype("float32", new Float32Array(1)), true);
 * assert.equal(dataMatchesDtype("float32", new Float64Array(1)), false);
 * ```
 */
export function dataMatchesDtype(dtype: NpyDtype, data: unknown): boolean {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array;
    case "float64":
      return data instanceof Float64Array;
    case "int8":
      return data instanceof Int8Array;
    case "uint8":
    case "bool":
      return data instanceof Uint8Array;
    case "int16":
      return data instanceof Int16Array;
    case "uint16":
      return data instanceof Uint16Array;
    case "int32":
      return data instanceof Int32Array;
    case "uint32":
      return data instanceof Uint32Array;
    case "int64":
      return data instanceof BigInt64Array;
    case "uint64":
      return data instanceof BigUint64Array;
  }
}

/**
 * Number of elements of a shape (1 for a scalar).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { elementCount } from "./dtypes.ts";
 * assert.equal(elementCount([2, 3]), 6);
 * ```
 */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A shape as Python writes a tuple.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shapeText } from "./dtypes.ts";
 * assert.equal(shapeText([3]), "(3,)");
 * assert.equal(shapeText([2, 2]), "(2, 2)");
 * ```
 */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * Checks that an array is consistent (a supported dtype, its typed-array class, a shape of
 * non-negative integers matching the element count) and returns the element count; errors
 * are prefixed with `ctx`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateArray } from "./dtypes.ts";
 * assert.equal(validateArray({ dtype: "uint8", shape: [2, 2], data: new Uint8Array(4) }, undefined), 4);
 * ```
 */
export function validateArray(arr: NpyArray, ctx: string | undefined): number {
  const fail = (problem: string) => formatError(ctx, problem);
  if (!isDtype(arr.dtype)) throw fail(`unsupported dtype '${String(arr.dtype)}'`);
  if (!Array.isArray(arr.shape)) throw fail("shape must be an array of integers");
  for (const d of arr.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw fail(`shape [${arr.shape.join(", ")}] must hold non-negative integers`);
    }
  }
  if (!dataMatchesDtype(arr.dtype, arr.data)) {
    const got = (arr.data as { constructor?: { name?: string } })?.constructor?.name ?? "value";
    throw fail(`dtype ${arr.dtype} does not match its data (a ${got})`);
  }
  const count = elementCount(arr.shape);
  if (arr.data.length !== count) {
    throw fail(
      `shape ${shapeText(arr.shape)} needs ${count} elements but data has ${arr.data.length}`,
    );
  }
  return count;
}
