/**
 * Seeded pseudo-random numbers: one small, fast generator (sfc32) plus a string hash
 * that derives independent seeds for each purpose ("init", "shuffle", epoch, step...).
 *
 * Everything random in the harness (data generation, weight init, shuffling, noise
 * seeds handed to tfjs) comes from here, so the same seed gives the same numbers.
 *
 * @module
 */

/**
 * Hashes any list of strings/numbers to a 32-bit unsigned integer (FNV-1a over the
 * joined text, then a murmur-style finaliser).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedFor } from "./rng.ts";
 * const s = seedFor(0, "shuffle", 3); // the shuffling seed of epoch 3 for run seed 0
 * assert.equal(s, seedFor(0, "shuffle", 3)); // the same parts, the same seed
 * assert.notEqual(s, seedFor(0, "shuffle", 4));
 * ```
 */
export function seedFor(...parts: (string | number)[]): number {
  const text = parts.join("\u0001");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A seeded generator (sfc32). Not cryptographic; fast and reproducible.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng, seedFor } from "./rng.ts";
 * const rng = new Rng(seedFor(0, "init"));
 * const u = rng.uniform(); // in [0, 1)
 * const z = rng.normal(); // standard normal
 * assert.ok(u >= 0 && u < 1 && Number.isFinite(z));
 * assert.equal(new Rng(seedFor(0, "init")).uniform(), u); // reproducible
 * ```
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | null = null;

  /** Creates a generator from a 32-bit seed. */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Fills a new Float32Array with N(0, std^2) samples. */
  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }
}
