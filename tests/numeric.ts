/**
 * Numeric helpers shared by the kernel and gradient tests: seeded values that are the same
 * on every backend (and parameters made of them), read-back with a leak check, and a relative
 * difference.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { makeParam, type Param } from "../src/models/params.ts";

/** Deterministic values in [-1, 1) (a small LCG), identical on every backend. */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A tensor of {@linkcode seeded} values. */
export function seededTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** Runs f, reads its tensors back as plain arrays, and checks that nothing leaked. */
export function collect(f: () => Record<string, tf.Tensor>): Record<string, Float32Array> {
  const before = tf.memory().numTensors;
  const tensors = tf.tidy(f);
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = Float32Array.from(t.dataSync());
  tf.dispose(Object.values(tensors));
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
  return out;
}

/** max|a - ref| / max|ref|. */
export function relDiff(a: Float32Array, ref: Float32Array): number {
  assert.equal(a.length, ref.length, "length mismatch");
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / (scale || 1);
}

/** Parameters `${tag}.i` of these shapes (group "head", kind "kernel"), seeded from `seed + i`. */
export function seededParams(tag: string, shapes: number[][], seed: number): Param[] {
  return shapes.map((shape, i) =>
    makeParam(
      `${tag}.${i}`,
      "head",
      "kernel",
      seeded(shape.reduce((a, b) => a * b, 1), seed + i),
      shape,
    )
  );
}
