/**
 * Running sums of an epoch's training metrics, kept on the backend and read back once per
 * epoch (the trainer's per-step bookkeeping).
 *
 * A step's values are stacked into one vector and added to the running vector: two kernels
 * per step instead of two per metric (the dispatch overhead dominates the small quick-profile
 * steps). The float32 additions are the same, in the same order, as adding each metric to
 * its own running scalar, so the numbers are identical.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** One metric of a step: its value (a scalar tensor or a number) and its weight. */
export type StepValue = [key: string, value: tf.Scalar | number, weight: number];

/**
 * Sums of weighted per-step values, with the total weight per key.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { EpochSums } from "./epoch_sums.ts";
 *
 * const sums = new EpochSums();
 * sums.addStep([["loss", tf.scalar(0.5), 4], ["correct", tf.scalar(3), 1]]); // a batch of 4
 * sums.addStep([["loss", tf.scalar(1), 2], ["correct", tf.scalar(1), 1]]); // a batch of 2
 * const { loss, correct } = await sums.read();
 * loss; // { sum: 4, count: 6 }: mean loss 4 / 6 over samples
 * correct; // { sum: 4, count: 2 }
 * ```
 */
export class EpochSums {
  #keys: string[] | null = null;
  #vector: tf.Tensor1D | null = null;
  #extra = new Map<string, tf.Scalar>();
  #counts = new Map<string, number>();

  /** Adds `value * weight` to each key's sum (the values stay the caller's to dispose). */
  addStep(values: StepValue[]): void {
    for (const [k, , w] of values) this.#counts.set(k, (this.#counts.get(k) ?? 0) + w);
    const keys = values.map(([k]) => k);
    this.#keys ??= keys;
    if (keys.length !== this.#keys.length || keys.some((k, i) => k !== this.#keys![i])) {
      for (const v of values) this.#addOne(v);
      return;
    }
    const prev = this.#vector;
    this.#vector = tf.tidy(() => {
      const step = tf.stack(values.map(([, v, w]) => weighted(v, w))) as tf.Tensor1D;
      return prev ? tf.add(prev, step) : step;
    });
    prev?.dispose();
  }

  /** A step whose keys differ from the first step's: one running scalar per key. */
  #addOne([key, value, weight]: StepValue): void {
    const prev = this.#extra.get(key);
    const next = tf.tidy(() => {
      const t = weighted(value, weight);
      return prev ? tf.add(prev, t) : t.clone();
    }) as tf.Scalar;
    prev?.dispose();
    this.#extra.set(key, next);
  }

  /** Reads every key's sum and total weight, then clears the sums. */
  async read(): Promise<Record<string, { sum: number; count: number }>> {
    const out: Record<string, { sum: number; count: number }> = {};
    const sums = new Map<string, number>();
    if (this.#vector && this.#keys) {
      const v = await this.#vector.data();
      this.#keys.forEach((k, i) => sums.set(k, v[i]));
    }
    for (const [k, t] of this.#extra) {
      const x = (await t.data())[0];
      sums.set(k, sums.has(k) ? Math.fround(sums.get(k)! + x) : x);
    }
    for (const [k, count] of this.#counts) out[k] = { sum: sums.get(k) ?? 0, count };
    this.dispose();
    return out;
  }

  /** Frees the running sums. */
  dispose(): void {
    this.#vector?.dispose();
    for (const t of this.#extra.values()) t.dispose();
    this.#vector = null;
    this.#keys = null;
    this.#extra.clear();
    this.#counts.clear();
  }
}

/** value * weight as a scalar tensor (x * 1 is x exactly, so no kernel runs for it). */
function weighted(value: tf.Scalar | number, weight: number): tf.Scalar {
  if (typeof value === "number") return tf.scalar(Math.fround(value * weight));
  return weight === 1 ? value : tf.mul(value, weight);
}
