/**
 * The batch convention of text inputs: the `text` input `[B, L, dim]` (zero-padded to the
 * longest caption of the batch, so L varies per batch; `DatasetInfo.inputShapes.text` is
 * `[-1, 300]`) and the `text_mask` input `[B, L]` (1 for real steps, 0 for padding).
 * Samples keep their batch order (the official collate sorts by length for packing; a
 * mask makes that unnecessary).
 *
 * @example
 * ```ts
 * import { maskKey } from "./pack.ts";
 * maskKey("text"); // "text_mask"
 * ```
 *
 * @module
 */
import type { EmbeddingTable } from "./embeddings.ts";

/**
 * The input key of the padding mask that goes with a text modality (change the batch
 * convention here and in {@linkcode packText}).
 *
 * @example
 * ```ts
 * maskKey("text"); // "text_mask"
 * ```
 */
export function maskKey(modality: string): string {
  return `${modality}_mask`;
}

/** Host arrays of one text batch. */
export interface PackedText {
  /** `[B, L, dim]` embeddings, zero-padded. */
  values: Float32Array;
  /** `[B, L]` 1 for real steps, 0 for padding. */
  mask: Float32Array;
  /** Per-sample lengths (each >= 1). */
  lengths: Int32Array;
  /** L: the longest caption of the batch. */
  length: number;
}

/**
 * Packs captions (token rows) into the padded batch arrays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packText } from "./pack.ts";
 * import type { EmbeddingTable } from "./embeddings.ts";
 * const table: EmbeddingTable = {
 *   dim: 1,
 *   index: new Map([["a", 1], ["b", 2], ["c", 3]]),
 *   rows: Float32Array.of(0, 10, 20, 30),
 *   requested: 3,
 * };
 * const p = packText([Int32Array.of(1, 2), Int32Array.of(3)], table);
 * assert.equal(p.length, 2);
 * assert.deepEqual(Array.from(p.mask), [1, 1, 1, 0]);
 * assert.deepEqual(Array.from(p.values), [10, 20, 30, 0]);
 * ```
 */
export function packText(seqs: Int32Array[], table: EmbeddingTable): PackedText {
  const dim = table.dim;
  const length = Math.max(1, ...seqs.map((s) => s.length));
  const values = new Float32Array(seqs.length * length * dim);
  const mask = new Float32Array(seqs.length * length);
  const lengths = new Int32Array(seqs.length);
  seqs.forEach((s, b) => {
    lengths[b] = s.length;
    for (let t = 0; t < s.length; t++) {
      mask[b * length + t] = 1;
      const row = s[t];
      if (row > 0) {
        values.set(table.rows.subarray(row * dim, (row + 1) * dim), (b * length + t) * dim);
      }
    }
  });
  return { values, mask, lengths, length };
}
