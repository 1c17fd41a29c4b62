/**
 * `.npz` archives: every `.npy` member of a zip archive (as `np.savez` and
 * `np.savez_compressed` write them), read with zip.ts and npy_read.ts; and the writer,
 * `np.savez`'s layout (one `<key>.npy` member per array). Members whose names do not end
 * in `.npy` are ignored (NumPy never writes them).
 *
 * @example
 * ```ts
 * import { encodeNpz, readNpz } from "./npz.ts";
 * const npz = encodeNpz({ x: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) } });
 * readNpz(npz).get("x")?.shape; // [2]
 * ```
 *
 * @module
 */
import type { NpyArray } from "./dtypes.ts";
import { formatError, NpyFormatError } from "./error.ts";
import { NPY_MAGIC } from "./npy_header.ts";
import { decodeNpy } from "./npy_read.ts";
import { encodeNpyIn } from "./npy_write.ts";
import { readZip, writeZip, ZipFormatError, type ZipMember } from "./zip.ts";

const ZIP_LOCAL_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // "PK\3\4"

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * Reads every array of an `.npz` archive (as written by `np.savez` or `np.savez_compressed`).
 *
 * Keys are the member names without the `.npy` suffix (`np.savez(f, x=a)` gives key `"x"`).
 * Members whose names do not end in `.npy` are ignored.
 *
 * @param bytes The complete `.npz` file contents.
 * @param fileLabel Names the archive in error messages (e.g. its path).
 * @returns Arrays by key, in archive order.
 * @throws {NpyFormatError} If the bytes are not a zip archive, the archive is corrupt or
 *   truncated (including CRC-32 mismatches), or any member is not a supported `.npy` array (the message names that array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpz, readNpz } from "./npz.ts";
 * const bytes = encodeNpz({ audio_train: { dtype: "float32", shape: [1, 2], data: Float32Array.of(1, 2) } });
 * const arrays = readNpz(bytes, "features.npz");
 * const train = arrays.get("audio_train"); // NpyArray | undefined
 * assert.deepEqual(train?.shape, [1, 2]);
 * ```
 */
export function readNpz(bytes: Uint8Array, fileLabel?: string): Map<string, NpyArray> {
  const label = fileLabel ?? "input";
  let members: ZipMember[];
  try {
    members = readZip(bytes, (name) => name.endsWith(".npy"));
  } catch (e) {
    if (e instanceof ZipFormatError) {
      throw new NpyFormatError(`${label}: ${e.message}`, { cause: e });
    }
    const code = (e as { code?: unknown }).code;
    if (code === 13) { // fflate: "invalid zip data" (no end-of-central-directory record)
      let why = "not a zip archive";
      if (startsWith(bytes, NPY_MAGIC)) {
        why = "not a zip archive; it looks like a single .npy array, read it with parseNpy";
      } else if (startsWith(bytes, ZIP_LOCAL_MAGIC)) {
        why = "the zip archive is truncated or corrupt: no end-of-central-directory record";
      }
      throw new NpyFormatError(`${label} is not an NPZ file (${why})`, { cause: e });
    }
    throw new NpyFormatError(
      `${label}: corrupt or truncated zip archive (${(e as Error).message})`,
      { cause: e },
    );
  }
  const out = new Map<string, NpyArray>();
  for (const { name, data, crcOk } of members) {
    const key = name.slice(0, -".npy".length);
    const ctx = fileLabel ? `${fileLabel}: array '${key}'` : `array '${key}'`;
    if (!crcOk) throw formatError(ctx, "zip CRC-32 checksum mismatch: the archive is corrupt");
    // fflate returns freshly allocated buffers per member, so viewing them is safe.
    out.set(key, decodeNpy(data, ctx, false));
  }
  return out;
}

/**
 * Reads an `.npz` file from disk; see {@linkcode readNpz}.
 *
 * File-system errors (e.g. `Deno.errors.NotFound`) propagate unchanged; their messages name the
 * path. Format problems are {@linkcode NpyFormatError}s prefixed with the path, e.g.
 * `"x.npz is not an NPZ file (not a zip archive)"`.
 *
 * @param path Path of the `.npz` file (needs read permission).
 * @returns Arrays by key (member name without `.npy`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpz, loadNpz } from "./npz.ts";
 * const path = await Deno.makeTempFile({ suffix: ".npz" });
 * await Deno.writeFile(path, encodeNpz({ y: { dtype: "int32", shape: [2], data: Int32Array.of(0, 1) } }));
 * const arrays = await loadNpz(path);
 * for (const [key, arr] of arrays) console.log(key, arr.dtype, arr.shape); // y int32 [2]
 * assert.deepEqual([...arrays.keys()], ["y"]);
 * await Deno.remove(path);
 * ```
 */
export async function loadNpz(path: string): Promise<Map<string, NpyArray>> {
  const bytes = await Deno.readFile(path);
  return readNpz(bytes, path);
}

/**
 * Serialises arrays as an `.npz` archive readable by `np.load`. Each key becomes the member
 * `<key>.npy`, like `np.savez(f, **arrays)`.
 *
 * @param arrays Arrays by key (keys must be non-empty).
 * @param compress Deflate-compress members like `np.savez_compressed` (default: stored, like
 *   `np.savez`).
 * @returns The archive bytes (deterministic: member timestamps are fixed to 1980-01-01).
 * @throws {NpyFormatError} If a key is empty or an array is inconsistent (names the key).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpz, readNpz } from "./npz.ts";
 * const npz = encodeNpz({ x: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) } });
 * // Written to out.npz: np.load("out.npz")["x"] -> array([1., 2.], dtype=float32)
 * assert.deepEqual(readNpz(npz).get("x")?.data, Float32Array.of(1, 2));
 * ```
 */
export function encodeNpz(
  arrays: Record<string, NpyArray> | Map<string, NpyArray>,
  compress = false,
): Uint8Array<ArrayBuffer> {
  const entries = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  const members: [string, Uint8Array][] = [];
  for (const [key, arr] of entries) {
    if (key.length === 0) throw new NpyFormatError("encodeNpz: array keys must be non-empty");
    members.push([`${key}.npy`, encodeNpyIn(arr, `array '${key}'`)]);
  }
  return writeZip(members, compress);
}
