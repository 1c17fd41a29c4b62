/**
 * Step-by-step comparison of the harness with its PyTorch port: per step the lr, the loss,
 * every logged quantity, every parameter and every BatchNorm running statistic. The
 * relative difference of a quantity is max_i |a_i - b_i| / max(max_i |b_i|, 0.01), with the
 * port's values b as reference: a tensor is compared at its own scale, and a quantity
 * smaller than 0.01 (e.g. MMPareto's w_uni = 1 - w_mm near 3e-5, whose float32 resolution is
 * 6e-8) absolutely at 1e-6.
 *
 * @module
 */
import type { StepResult } from "./step_case.ts";

/** The float32 tolerance of the suite. */
export const TOLERANCE = 1e-4;

/** The smallest scale a quantity is compared at (see the module text). */
export const SCALE_FLOOR = 1e-2;

/** The first quantity that diverges. */
export interface Divergence {
  /** 0-based global step. */
  step: number;
  /** e.g. "loss", "log k_audio", "param encoder.audio.0.kernel". */
  quantity: string;
  /** Harness value (the element that differs most, for tensors). */
  ts: number;
  /** Port value at the same element. */
  torch: number;
  /** Relative difference. */
  rel: number;
  /** Element index for tensors. */
  index?: number;
}

/** The outcome of one case. */
export interface Comparison {
  /** Steps compared. */
  steps: number;
  /** Largest relative difference over every quantity and step. */
  maxRel: number;
  /** The quantity holding `maxRel`. */
  worst: string;
  /** The first divergence beyond the tolerance, or null. */
  first: Divergence | null;
}

/**
 * Relative difference of two value lists, with the element of the largest difference.
 *
 * @example
 * ```ts
 * relDiff([1, 2], [1, 2.0002]).rel; // 1e-4 (up to rounding)
 * ```
 */
export function relDiff(a: number[], b: number[]): { rel: number; index: number } {
  if (a.length !== b.length) return { rel: Infinity, index: -1 };
  let num = 0, den = 0, index = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > num || Number.isNaN(d)) {
      num = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
    den = Math.max(den, Math.abs(b[i]));
  }
  return { rel: num / Math.max(den, SCALE_FLOOR), index };
}

/**
 * Compares the harness's steps with the port's. A quantity the harness logs but the port
 * does not produce (or the other way round) is a divergence of infinite size.
 *
 * @example
 * ```ts ignore
 * const c = compareSteps(rec.ts, port.steps);
 * if (c.first) throw new Error(describe(c.first));
 * ```
 */
export function compareSteps(ts: StepResult[], port: StepResult[]): Comparison {
  const out: Comparison = { steps: ts.length, maxRel: 0, worst: "", first: null };
  if (port.length !== ts.length) {
    out.first = {
      step: Math.min(ts.length, port.length),
      quantity: "step count",
      ts: ts.length,
      torch: port.length,
      rel: Infinity,
    };
    out.maxRel = Infinity;
    return out;
  }
  for (let s = 0; s < ts.length; s++) {
    const a = ts[s], b = port[s];
    const items: [string, number[] | undefined, number[] | undefined][] = [
      ["lr", [a.lr], [b.lr]],
      ["loss", [a.loss], [b.loss]],
    ];
    const logKeys = new Set([...Object.keys(a.logs), ...Object.keys(b.logs)]);
    for (const k of [...logKeys].sort()) {
      items.push([
        `log ${k}`,
        k in a.logs ? [a.logs[k]] : undefined,
        k in b.logs ? [b.logs[k]] : undefined,
      ]);
    }
    const paramKeys = new Set([...Object.keys(a.params), ...Object.keys(b.params)]);
    for (const k of [...paramKeys].sort()) items.push([`param ${k}`, a.params[k], b.params[k]]);
    const bufKeys = new Set([...Object.keys(a.buffers), ...Object.keys(b.buffers)]);
    for (const k of [...bufKeys].sort()) items.push([`buffer ${k}`, a.buffers[k], b.buffers[k]]);
    for (const [quantity, x, y] of items) {
      let d: Divergence;
      if (!x || !y) {
        d = {
          step: s,
          quantity: `${quantity} (${x ? "missing in the port" : "not logged by the harness"})`,
          ts: x?.[0] ?? NaN,
          torch: y?.[0] ?? NaN,
          rel: Infinity,
        };
      } else {
        const r = relDiff(x, y);
        d = { step: s, quantity, ts: x[r.index] ?? NaN, torch: y[r.index] ?? NaN, rel: r.rel };
        if (x.length > 1) d.index = r.index;
      }
      if (d.rel > out.maxRel || Number.isNaN(d.rel)) {
        out.maxRel = Number.isNaN(d.rel) ? Infinity : d.rel;
        out.worst = `${quantity} (step ${s})`;
      }
      if (!out.first && !(d.rel <= TOLERANCE)) out.first = d;
    }
  }
  return out;
}

/**
 * One line naming the first divergence, both values and the method file to look at.
 *
 * @example
 * ```ts ignore
 * describe(c.first!, "agm/mlp", "agm"); // "agm/mlp: step 2 (epoch 0, step 2), log k_audio: ..."
 * ```
 */
export function describe(d: Divergence, id: string, method: string, stepsPerEpoch: number): string {
  const file = `src/methods/${method.replace(/^bio\+/, "").replace("-", "_")}.ts`;
  const at = `step ${d.step} (epoch ${Math.floor(d.step / stepsPerEpoch)}, batch ${
    d.step % stepsPerEpoch
  })`;
  const where = d.index === undefined ? "" : ` [element ${d.index}]`;
  return `${id}: first divergence at ${at}, ${d.quantity}${where}: harness ${d.ts} vs PyTorch port ${d.torch} ` +
    `(rel. diff ${d.rel.toExponential(2)} > ${TOLERANCE}); look at ${file}` +
    `${method.startsWith("bio+") ? " and src/methods/ibml.ts" : ""} and tests/reference/torch/${
      method.replace(/[-+]/g, "_")
    }.py`;
}
