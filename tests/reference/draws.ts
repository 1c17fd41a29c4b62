/**
 * Random draws of a training step, made once and fed to both sides. Methods draw through
 * the step context's seed (`ctx.seed(...purpose)` handed to a seeded tfjs op); the driver
 * records each purpose and seed and regenerates the very tensor the method drew with the
 * same tfjs call, so the PyTorch port consumes the harness's draws. A purpose the driver
 * does not know fails the case (teach this file the new draw rather than skip it).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../../src/data/types.ts";
import type { Param } from "../../src/models/params.ts";
import type { WireTensor } from "./step_case.ts";

/** One `ctx.seed(...)` call of a step. */
export interface SeedCall {
  /** The purpose parts, e.g. ["tcm-field", "audio"]. */
  purpose: (string | number)[];
  /** The seed returned. */
  seed: number;
}

/** A regenerated draw: its purpose (joined with "/") and its values. */
export interface Draw extends WireTensor {
  /** e.g. "tcm-field/audio", "ge/encoder.audio.0.kernel". */
  key: string;
}

/**
 * Regenerates the tensor a method drew for `call`: `tcm-field/<m>` (IBML's Gaussian field,
 * one sample's shape), `tcm-u/<m>` (IBML's per-sample uniforms), `ge/<param>` (OGM-GE's
 * unit Gaussian noise of a parameter's shape).
 *
 * @example
 * ```ts ignore
 * const d = regenerateDraw({ purpose: ["tcm-u", "audio"], seed: 7 }, { batch, params });
 * ```
 */
export function regenerateDraw(call: SeedCall, at: { batch: Batch; params: Param[] }): Draw {
  const [kind, target] = call.purpose;
  const key = call.purpose.join("/");
  let t: tf.Tensor;
  if (kind === "tcm-field" && call.purpose.length === 2) {
    const x = at.batch.inputs[String(target)];
    t = tf.randomNormal(x.shape.slice(1), 0, 1, "float32", call.seed);
  } else if (kind === "tcm-u" && call.purpose.length === 2) {
    t = tf.randomUniform([at.batch.size], 0, 1, "float32", call.seed);
  } else if (kind === "ge" && call.purpose.length === 2) {
    const p = at.params.find((q) => q.name === target);
    if (!p) throw new Error(`draw ${key}: no parameter named '${target}'`);
    t = tf.randomNormal(p.variable.shape, 0, 1, "float32", call.seed);
  } else {
    throw new Error(
      `step-equivalence driver: unknown random draw '${key}'; add it to tests/reference/draws.ts`,
    );
  }
  const out = { key, shape: t.shape, data: Array.from(t.dataSync()) };
  t.dispose();
  return out;
}
