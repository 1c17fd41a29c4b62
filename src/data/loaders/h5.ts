/**
 * Reading HDF5 files (h5wasm, the Node build, which reads the real file system lazily):
 * open a file, fetch a group or dataset by path, read a dataset as float32 or int32.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import { DataMalformedError } from "./errors.ts";

/** An open HDF5 file. */
export type H5File = InstanceType<typeof h5wasm.File>;
/** An HDF5 group. */
export type H5Group = InstanceType<typeof h5wasm.Group>;
/** An HDF5 dataset. */
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/**
 * Opens an HDF5 file for reading (or writing, with mode `w`, for test fixtures).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { h5Dataset, h5Group, h5NumberAttr, openH5, readF32, readI32 } from "./h5.ts";
 * const path = await Deno.makeTempFile({ suffix: ".h5" });
 * const w = await openH5(path, "w"); // a tiny file: group "0" with a 2x3 "points" and a label
 * const g0 = w.create_group("0");
 * g0.create_dataset({ name: "points", data: Float32Array.of(0, 1, 2, 3, 4, 5), shape: [2, 3] });
 * g0.create_attribute("label", BigInt64Array.of(7n), [], "<q");
 * w.close();
 * const f = await openH5(path);
 * assert.deepEqual(f.keys(), ["0"]);
 * const group = h5Group(f, "0", path);
 * assert.equal(h5NumberAttr(group, "label"), 7);
 * const { data, shape } = readF32(h5Dataset(f, "0/points", path));
 * assert.deepEqual([Array.from(data), shape], [[0, 1, 2, 3, 4, 5], [2, 3]]);
 * assert.deepEqual(readI32(h5Dataset(group, "points", path)).data, Int32Array.of(0, 1, 2, 3, 4, 5));
 * f.close();
 * await Deno.remove(path);
 * ```
 */
export async function openH5(path: string, mode: "r" | "w" = "r"): Promise<H5File> {
  await h5wasm.ready;
  if (mode === "r") {
    // h5wasm prints to stderr and returns a file with no id on failure; check first.
    await Deno.stat(path);
    const head = new Uint8Array(8);
    const f = await Deno.open(path);
    try {
      await f.read(head);
    } finally {
      f.close();
    }
    const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    if (!sig.every((b, i) => head[i] === b)) {
      throw new DataMalformedError({ what: "HDF5", file: path, problem: "not an HDF5 file" });
    }
  }
  return new h5wasm.File(path, mode);
}

/**
 * The dataset at `path` inside `group`, or a {@linkcode DataMalformedError} naming `file`.
 *
 * @example
 * ```ts ignore
 * // not run: every h5 doc test compiles h5wasm anew (seconds); the openH5 example runs this call
 * const d = h5Dataset(f, "0/points", "test_point_clouds.h5"); // f: an open file (openH5)
 * h5Dataset(f, "0/normals", "test_point_clouds.h5"); // throws DataMalformedError: no dataset '0/normals'
 * ```
 */
export function h5Dataset(group: H5Group, path: string, file: string): H5Dataset {
  const d = group.get(path);
  if (!(d instanceof h5wasm.Dataset)) {
    throw new DataMalformedError({ what: "HDF5", file, problem: `no dataset '${path}'` });
  }
  return d;
}

/**
 * The group at `path` inside `group`, or a {@linkcode DataMalformedError} naming `file`.
 *
 * @example
 * ```ts ignore
 * // not run: every h5 doc test compiles h5wasm anew (seconds); the openH5 example runs this call
 * const g = h5Group(f, "0", "test_point_clouds.h5"); // f: an open file (openH5)
 * ```
 */
export function h5Group(group: H5Group, path: string, file: string): H5Group {
  const g = group.get(path);
  if (!(g instanceof h5wasm.Group)) {
    throw new DataMalformedError({ what: "HDF5", file, problem: `no group '${path}'` });
  }
  return g;
}

function toNumbers(v: unknown, what: string): ArrayLike<number> {
  if (typeof v === "number") return [v];
  if (typeof v === "bigint") return [Number(v)];
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, Number);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  throw new Error(`${what}: not numeric data`);
}

/**
 * A dataset's values as float32, with its shape.
 *
 * @example
 * ```ts ignore
 * // not run: every h5 doc test compiles h5wasm anew (seconds); the openH5 example runs this call
 * const { data, shape } = readF32(h5Dataset(f, "data", file)); // f: an open file (openH5)
 * ```
 */
export function readF32(d: H5Dataset): { data: Float32Array; shape: number[] } {
  const v = toNumbers(d.value, d.path);
  return { data: v instanceof Float32Array ? v : Float32Array.from(v), shape: d.shape ?? [] };
}

/**
 * A dataset's values as int32, with its shape.
 *
 * @example
 * ```ts ignore
 * // not run: every h5 doc test compiles h5wasm anew (seconds); the openH5 example runs this call
 * const { data } = readI32(h5Dataset(f, "label", file)); // f: an open file (openH5)
 * ```
 */
export function readI32(d: H5Dataset): { data: Int32Array; shape: number[] } {
  return { data: Int32Array.from(toNumbers(d.value, d.path)), shape: d.shape ?? [] };
}

/**
 * A numeric attribute as a number (first element of an array attribute), or undefined.
 *
 * @example
 * ```ts ignore
 * // not run: every h5 doc test compiles h5wasm anew (seconds); the openH5 example runs this call
 * h5NumberAttr(group, "label"); // 7 (group: from h5Group)
 * ```
 */
export function h5NumberAttr(obj: H5Group | H5Dataset, name: string): number | undefined {
  const a = obj.attrs[name];
  if (!a) return undefined;
  const v = toNumbers(a.value, name);
  return v.length ? Number(v[0]) : undefined;
}
