/**
 * The meaning of an `.npy` header: its parsed dict checked and turned into a supported
 * dtype and shape, with a message saying how to re-save anything unsupported.
 *
 * @example
 * ```ts
 * import { parsePyLiteral } from "./py_literal.ts";
 * import { interpretHeader } from "./npy_header.ts";
 * interpretHeader(parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"));
 * // { dtype: "float32", shape: [2] }
 * ```
 *
 * @module
 */
import { CODE_TO_DTYPE, DTYPE_INFO, type NpyDtype } from "./dtypes.ts";
import { NpyProblem } from "./error.ts";
import type { PyValue } from "./py_literal.ts";

/**
 * The magic bytes every `.npy` file starts with (`\x93NUMPY`).
 *
 * @example
 * ```ts
 * NPY_MAGIC.length; // 6
 * ```
 */
export const NPY_MAGIC: readonly number[] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** What an `.npy` header says about its array. */
export interface NpyHeader {
  /** Element type. */
  dtype: NpyDtype;
  /** Dimensions. */
  shape: number[];
}

/**
 * Maps a descr string to a supported dtype, or throws an {@linkcode NpyProblem} saying
 * what to do.
 *
 * @example
 * ```ts
 * dtypeFromDescr("<i8"); // "int64"
 * dtypeFromDescr("|b1"); // "bool"
 * ```
 */
export function dtypeFromDescr(descr: string): NpyDtype {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(?:\[.*\])?$/.exec(descr);
  if (!m) throw new NpyProblem(`unsupported dtype '${descr}'`);
  const [, order, kind, size] = m;
  const q = `(dtype '${descr}')`;
  switch (kind) {
    case "O":
      throw new NpyProblem(
        `object arrays ${q} are not supported (they hold pickled Python objects); ` +
          `convert to a numeric array, e.g. np.asarray(a, dtype=np.float32), before saving`,
      );
    case "c":
      throw new NpyProblem(
        `complex arrays ${q} are not supported; ` +
          `save the real and imaginary parts as separate float arrays (a.real, a.imag)`,
      );
    case "U":
    case "S":
    case "a":
      throw new NpyProblem(
        `string arrays ${q} are not supported; ` +
          `map the strings to integer ids and save those (plus a vocabulary file) instead`,
      );
    case "M":
    case "m":
      throw new NpyProblem(
        `datetime/timedelta arrays ${q} are not supported; save with a.astype(np.int64) instead`,
      );
    case "V":
      throw new NpyProblem(
        `void/structured arrays ${q} are not supported; save each field as its own array`,
      );
  }
  const dtype = CODE_TO_DTYPE[kind + size];
  if (dtype === undefined) {
    if (kind === "f" && size !== "") {
      throw new NpyProblem(
        `float${Number(size) * 8} arrays ${q} are not supported; ` +
          `save with a.astype(np.float32) (or np.float64) instead`,
      );
    }
    throw new NpyProblem(
      `unsupported dtype ${q}; supported are float32, float64, int8/16/32/64, ` +
        `uint8/16/32/64 and bool`,
    );
  }
  if (DTYPE_INFO[dtype].size > 1) {
    if (order === ">") {
      throw new NpyProblem(
        `big-endian arrays ${q} are not supported; ` +
          `save with a.astype(a.dtype.newbyteorder('<')) first`,
      );
    }
    if (order !== "<") {
      throw new NpyProblem(
        `dtype ${q} does not state a little-endian byte order ('<'); re-save it with NumPy`,
      );
    }
  }
  return dtype;
}

/**
 * Validates the parsed header dict (exactly `descr`, `fortran_order`, `shape`; C order; a
 * supported dtype); throws an {@linkcode NpyProblem} on failure.
 *
 * @example
 * ```ts
 * import { parsePyLiteral } from "./py_literal.ts";
 * interpretHeader(parsePyLiteral("{'descr': '|u1', 'fortran_order': False, 'shape': ()}")).shape; // []
 * ```
 */
export function interpretHeader(v: PyValue): NpyHeader {
  if (v === null || typeof v !== "object" || v.kind !== "dict") {
    throw new NpyProblem("malformed .npy header: expected a dict");
  }
  const e = v.entries;
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!e.has(key)) throw new NpyProblem(`malformed .npy header: missing key '${key}'`);
  }
  for (const key of e.keys()) {
    if (!["descr", "fortran_order", "shape"].includes(key)) {
      throw new NpyProblem(`malformed .npy header: unexpected key '${key}'`);
    }
  }
  const descr = e.get("descr");
  let dtype: NpyDtype;
  if (typeof descr === "string") {
    dtype = dtypeFromDescr(descr);
  } else if (descr !== null && typeof descr === "object" && descr.kind === "list") {
    throw new NpyProblem(
      "structured (record) arrays are not supported; save each field as its own array, " +
        "e.g. np.savez(f, x=a['x'], y=a['y'])",
    );
  } else {
    throw new NpyProblem("malformed .npy header: 'descr' must be a dtype string");
  }

  const fortran = e.get("fortran_order");
  if (typeof fortran !== "boolean") {
    throw new NpyProblem("malformed .npy header: 'fortran_order' must be True or False");
  }
  if (fortran) {
    throw new NpyProblem(
      "Fortran-order arrays are not supported; save with np.ascontiguousarray(a) first",
    );
  }

  const shapeV = e.get("shape");
  if (shapeV === null || typeof shapeV !== "object" || shapeV.kind !== "tuple") {
    throw new NpyProblem("malformed .npy header: 'shape' must be a tuple");
  }
  const shape: number[] = [];
  for (const d of shapeV.items) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new NpyProblem("malformed .npy header: 'shape' must hold non-negative integers");
    }
    shape.push(d);
  }
  return { dtype, shape };
}
