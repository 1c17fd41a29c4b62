/**
 * Reading the GloVe 840B 300-d vectors (`utils/glove_encoder.py` of the official code):
 * one pass over the user's `glove.840B.300d.txt`, keeping only the rows of wanted tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGloveRows } from "./glove.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "the 0.5 1\ndog 2 3\ncat -1 0\n");
 * const rows = await readGloveRows(path, new Set(["the", "cat"]), 2);
 * assert.deepEqual([...rows.keys()].sort(), ["cat", "the"]);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
import { DataMalformedError, DataMissingError } from "../loaders/errors.ts";

/**
 * Where the official vectors come from (for error messages).
 *
 * @example
 * ```ts
 * GLOVE_URL.endsWith("glove.840B.300d.zip"); // true
 * ```
 */
export const GLOVE_URL = "https://nlp.stanford.edu/data/glove.840B.300d.zip";

/**
 * Streams a GloVe text file (`token v1 ... v_dim` per line) and returns the vectors of
 * the `wanted` tokens. Lines whose token contains spaces (a few in 840B) or whose token
 * is not valid UTF-8 are skipped; a token listed twice keeps its last vector (as
 * torchtext's `stoi` does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGloveRows } from "./glove.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "the 0.5 1\ndog 2 3\ncat -1 0\n"); // "token v1 ... v_dim" per line
 * const rows = await readGloveRows(path, new Set(["the", "cat"]), 2);
 * assert.deepEqual(rows.get("cat"), Float32Array.of(-1, 0));
 * await Deno.remove(path);
 * ```
 */
export async function readGloveRows(
  path: string,
  wanted: Set<string>,
  dim = 300,
): Promise<Map<string, Float32Array>> {
  const found = new Map<string, Float32Array>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw gloveMissing(path);
    throw e;
  }
  const chunk = new Uint8Array(1 << 22);
  let carry = new Uint8Array(0);
  let lineNo = 0;
  const handle = (line: Uint8Array) => {
    lineNo++;
    let end = line.length;
    if (end > 0 && line[end - 1] === 13) end--; // CRLF
    const sp = line.indexOf(32);
    if (sp <= 0 || sp >= end) return;
    let token: string;
    try {
      token = decoder.decode(line.subarray(0, sp));
    } catch {
      return;
    }
    if (!wanted.has(token)) return;
    const fields = decoder.decode(line.subarray(sp + 1, end)).split(" ");
    if (fields.length !== dim) {
      if (fields.length > dim) return; // a token with spaces: never one of ours
      throw new DataMalformedError({
        what: "GloVe",
        file: `${path}:${lineNo}`,
        problem: `token '${token}' has ${fields.length} values, expected ${dim}`,
        how: `use the 300-d vectors from ${GLOVE_URL} (unzipped)`,
      });
    }
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = Number(fields[i]);
    found.set(token, v);
  };
  try {
    while (true) {
      const n = await file.read(chunk);
      if (n === null) break;
      const buf = carry.length ? concat(carry, chunk.subarray(0, n)) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        handle(buf.subarray(start, nl));
        start = nl + 1;
      }
      carry = buf.slice(start);
    }
    if (carry.length) handle(carry);
  } finally {
    file.close();
  }
  return found;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * The error for a GloVe file that is not where it was looked for: what it is, where to
 * download it and how to pass its path.
 *
 * @example
 * ```ts
 * gloveMissing("/data/glove/glove.840B.300d.txt").message.includes("--set data.glove=PATH"); // true
 * ```
 */
export function gloveMissing(path: string): DataMissingError {
  return new DataMissingError({
    what: "GloVe 840B 300-d vectors",
    folder: path,
    contents: "glove.840B.300d.txt (the unzipped text file, about 5.6 GB)",
    how: `download ${GLOVE_URL}, unzip it, and pass its path with --set data.glove=PATH ` +
      `(or put it at <data-root>/glove/glove.840B.300d.txt)`,
  });
}
