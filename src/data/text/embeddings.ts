/**
 * The embedding table of a dataset: the GloVe rows of the tokens it uses, cached on disk
 * (keyed on the GloVe file and the vocabulary) so only the first run streams the big file;
 * and the rows of one caption.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeTokens, loadEmbeddingTable } from "./embeddings.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/glove.txt`, "the 0.1 0.2\ncat 0.3 0.4\n"); // a 2-d GloVe file
 * const table = await loadEmbeddingTable(["the", "cat"], `${dir}/glove.txt`, `${dir}/cache`, 2);
 * assert.deepEqual(encodeTokens(["the", "dog"], table), Int32Array.of(table.index.get("the")!, 0));
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { gloveMissing, readGloveRows } from "./glove.ts";

/** The embedding rows a dataset needs: row 0 is the zero vector (`[UNK]`, padding). */
export interface EmbeddingTable {
  /** Vector size (300 for GloVe 840B). */
  dim: number;
  /** Token -> row (>= 1) for tokens found in the GloVe file. */
  index: Map<string, number>;
  /** `(index.size + 1) * dim` values, row-major; row 0 is all zeros. */
  rows: Float32Array;
  /** Number of distinct tokens that were asked for. */
  requested: number;
}

interface CacheHeader {
  format: 1;
  glove: { path: string; size: number; mtime: number };
  dim: number;
  requested: number;
  tokens: string[];
}

/**
 * The embedding rows of `vocab` from the GloVe file at `glovePath`, cached under
 * `cacheDir` (`glove-<hash>.json` + `.f32`, keyed on the file's path, size and time and
 * the vocabulary), so only the first run streams the big file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadEmbeddingTable } from "./embeddings.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/glove.txt`, "the 0.1 0.2\ncat 0.3 0.4\n"); // a 2-d GloVe file
 * const table = await loadEmbeddingTable(["the", "cat", "zzz"], `${dir}/glove.txt`, `${dir}/cache`, 2);
 * assert.equal(table.rows.length, (2 + 1) * 2); // (found + 1) * dim
 * assert.equal(table.requested, 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadEmbeddingTable(
  vocab: Iterable<string>,
  glovePath: string,
  cacheDir: string,
  dim = 300,
): Promise<EmbeddingTable> {
  const words = [...new Set(vocab)].sort();
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(glovePath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw gloveMissing(glovePath);
    throw e;
  }
  const glove = { path: glovePath, size: stat.size, mtime: stat.mtime?.getTime() ?? 0 };
  const key = createHash("sha256").update(JSON.stringify({ glove, dim, words })).digest("hex")
    .slice(0, 16);
  const base = `${cacheDir}/glove-${key}`;
  const cached = await readCache(base, dim);
  if (cached) return cached;
  const found = await readGloveRows(glovePath, new Set(words), dim);
  const tokens = words.filter((w) => found.has(w));
  const rows = new Float32Array((tokens.length + 1) * dim);
  const index = new Map<string, number>();
  tokens.forEach((t, i) => {
    rows.set(found.get(t)!, (i + 1) * dim);
    index.set(t, i + 1);
  });
  const header: CacheHeader = { format: 1, glove, dim, requested: words.length, tokens };
  await writeCache(base, header, rows);
  return { dim, index, rows, requested: words.length };
}

async function readCache(base: string, dim: number): Promise<EmbeddingTable | null> {
  try {
    const header = JSON.parse(await Deno.readTextFile(`${base}.json`)) as CacheHeader;
    const bytes = await Deno.readFile(`${base}.f32`);
    if (header.format !== 1 || header.dim !== dim) return null;
    if (bytes.byteLength !== (header.tokens.length + 1) * dim * 4) return null;
    const rows = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const index = new Map(header.tokens.map((t, i) => [t, i + 1]));
    return { dim, index, rows, requested: header.requested };
  } catch {
    return null;
  }
}

async function writeCache(base: string, header: CacheHeader, rows: Float32Array): Promise<void> {
  const dir = base.slice(0, base.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${base}.tmp-${Deno.pid}`;
  await Deno.writeFile(`${tmp}.f32`, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  await Deno.writeTextFile(`${tmp}.json`, JSON.stringify(header));
  await Deno.rename(`${tmp}.f32`, `${base}.f32`);
  await Deno.rename(`${tmp}.json`, `${base}.json`);
}

/**
 * Token rows of one caption: GloVe row per token, 0 (`[UNK]`, a zero vector) for
 * out-of-vocabulary tokens, and `[0]` (one zero vector) for an empty caption.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EmbeddingTable, encodeTokens } from "./embeddings.ts";
 * const table: EmbeddingTable = {
 *   dim: 2,
 *   index: new Map([["the", 1]]),
 *   rows: Float32Array.of(0, 0, 0.1, 0.2),
 *   requested: 1,
 * };
 * assert.deepEqual(encodeTokens(["the", "zzz"], table), Int32Array.of(1, 0));
 * assert.deepEqual(encodeTokens([], table), Int32Array.of(0));
 * ```
 */
export function encodeTokens(tokens: string[], table: EmbeddingTable): Int32Array {
  if (tokens.length === 0) return Int32Array.of(0);
  return Int32Array.from(tokens, (t) => table.index.get(t) ?? 0);
}
