/**
 * A small on-disk cache of named typed arrays (`<base>.json` header + `<base>.bin`
 * values), keyed by a string the caller derives from its inputs (file sizes and times,
 * settings, seed). A stale or unreadable cache is ignored and rebuilt; writes are atomic
 * (temporary files, then rename).
 *
 * @module
 */

/** Arrays the cache can hold. */
export type CachedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

interface Entry {
  name: string;
  dtype: "float64" | "float32" | "int32" | "uint8";
  length: number;
  offset: number;
}

interface Header {
  format: 1;
  key: string;
  entries: Entry[];
  meta: unknown;
}

function dtypeOf(a: CachedArray): Entry["dtype"] {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int32Array) return "int32";
  return "uint8";
}

/**
 * Reads the arrays cached at `base` if their key equals `key`, else null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readArrays, writeArrays } from "./array_cache.ts";
 * const dir = await Deno.makeTempDir();
 * await writeArrays(`${dir}/train`, "k1", { points: Float32Array.of(1, 2, 3) });
 * const hit = await readArrays(`${dir}/train`, "k1");
 * assert.deepEqual(hit?.arrays.points, Float32Array.of(1, 2, 3));
 * assert.equal(await readArrays(`${dir}/train`, "k2"), null); // another key: a miss
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readArrays(
  base: string,
  key: string,
): Promise<{ arrays: Record<string, CachedArray>; meta: unknown } | null> {
  let header: Header;
  let bytes: Uint8Array;
  try {
    header = JSON.parse(await Deno.readTextFile(`${base}.json`)) as Header;
    if (header.format !== 1 || header.key !== key) return null;
    bytes = await Deno.readFile(`${base}.bin`);
  } catch {
    return null;
  }
  const arrays: Record<string, CachedArray> = {};
  for (const e of header.entries) {
    const size = e.dtype === "uint8" ? 1 : e.dtype === "float64" ? 8 : 4;
    if (e.offset + e.length * size > bytes.byteLength) return null;
    const copy = bytes.slice(e.offset, e.offset + e.length * size).buffer;
    arrays[e.name] = e.dtype === "float64"
      ? new Float64Array(copy)
      : e.dtype === "float32"
      ? new Float32Array(copy)
      : e.dtype === "int32"
      ? new Int32Array(copy)
      : new Uint8Array(copy);
  }
  return { arrays, meta: header.meta };
}

/**
 * Writes `arrays` (and optional JSON `meta`) to the cache at `base` under `key`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readArrays, writeArrays } from "./array_cache.ts";
 * const dir = await Deno.makeTempDir();
 * const labels = Int32Array.of(0, 1);
 * await writeArrays(`${dir}/train`, "seed=0", { points: new Float32Array(6), labels }, { n: 2 });
 * const hit = await readArrays(`${dir}/train`, "seed=0");
 * assert.deepEqual([hit?.arrays.labels, hit?.meta], [labels, { n: 2 }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeArrays(
  base: string,
  key: string,
  arrays: Record<string, CachedArray>,
  meta: unknown = null,
): Promise<void> {
  const entries: Entry[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    entries.push({ name, dtype: dtypeOf(a), length: a.length, offset });
    offset += a.byteLength;
    offset = Math.ceil(offset / 8) * 8;
  }
  const bytes = new Uint8Array(offset);
  for (const e of entries) {
    const a = arrays[e.name];
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), e.offset);
  }
  const dir = base.includes("/") ? base.slice(0, base.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${base}.tmp-${Deno.pid}`;
  await Deno.writeFile(`${tmp}.bin`, bytes);
  const header: Header = { format: 1, key, entries, meta };
  await Deno.writeTextFile(`${tmp}.json`, JSON.stringify(header));
  await Deno.rename(`${tmp}.bin`, `${base}.bin`);
  await Deno.rename(`${tmp}.json`, `${base}.json`);
}

/**
 * A cache key part for a file: its path, size and modification time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileStamp } from "./array_cache.ts";
 * const path = await Deno.makeTempFile({ suffix: ".h5" });
 * await Deno.writeTextFile(path, "abcd");
 * const key = [await fileStamp(path), "seed=0"].join("|");
 * assert.ok(key.startsWith(`${path}:4:`)); // path, size, modification time
 * await Deno.remove(path);
 * ```
 */
export async function fileStamp(path: string): Promise<string> {
  const s = await Deno.stat(path);
  return `${path}:${s.size}:${s.mtime?.getTime() ?? 0}`;
}
