/**
 * Typed builders for a method's {@linkcode StepPlan}: one tape (most methods) or two tapes
 * whose second forward may read the first's outputs (DGL, MMPareto).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Grads, Taped } from "../optim/grads.ts";
import type { Param } from "../models/params.ts";
import type { StepOutput, StepPlan } from "./types.ts";

/** What a method's gradient change returns: the gradient to step with and the step's output. */
export interface Changed {
  /** The gradient the optimizer steps with. */
  grads: Grads;
  /** The step's loss, logits and logs. */
  out: StepOutput;
}

/**
 * A plan with one tape: `forward` (forward pass and loss, differentiated for `params`) and
 * `change` (the method's gradient change on its result).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { backward, crossEntropy } from "../optim/grads.ts";
 * import { singleTape } from "./plan.ts";
 *
 * const w = makeParam("head.w", "head", "kernel", new Float32Array([1, 0, 0, 1]), [2, 2]);
 * const x = tf.tensor2d([[1, 2]]), y = tf.tensor1d([0], "int32");
 * const plan = singleTape([w], () => {
 *   const z = tf.matMul(x, w.variable) as tf.Tensor2D;
 *   return { loss: crossEntropy(z, y), aux: z };
 * }, (r) => ({ grads: r.grads, out: { loss: r.loss, fused: r.aux, unimodal: {} } }));
 * const { grads, out } = plan.change(backward(plan.tapes));
 * grads.get("head.w")!.shape; // [2, 2]
 * out.fused.shape; // [1, 2]
 * ```
 */
export function singleTape<A>(
  params: Param[],
  forward: () => { loss: tf.Scalar; aux: A },
  change: (r: Taped<A>) => Changed,
): StepPlan {
  return {
    tapes: [{ params, forward }],
    change: (taped) => change(taped[0] as Taped<A>),
  };
}

/**
 * A plan with two tapes, run in order; the second forward gets the first tape's result.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { backward } from "../optim/grads.ts";
 * import { twoTapes } from "./plan.ts";
 *
 * const w = makeParam("w", "head", "kernel", new Float32Array([2]), [1]);
 * const plan = twoTapes(
 *   { params: [w], forward: () => ({ loss: tf.sum(tf.square(w.variable)) as tf.Scalar, aux: 3 }) },
 *   { params: [w], forward: (first) => ({ loss: tf.sum(tf.mul(w.variable, first.aux)) as tf.Scalar, aux: null }) },
 *   (a, b) => ({ grads: b.grads, out: { loss: a.loss, fused: tf.zeros([1, 1]) as tf.Tensor2D, unimodal: {} } }),
 * );
 * const { grads } = plan.change(backward(plan.tapes));
 * grads.get("w")!.dataSync(); // Float32Array [3]
 * ```
 */
export function twoTapes<A, B>(
  first: { params: Param[]; forward: () => { loss: tf.Scalar; aux: A } },
  second: { params: Param[]; forward: (first: Taped<A>) => { loss: tf.Scalar; aux: B } },
  change: (first: Taped<A>, second: Taped<B>) => Changed,
): StepPlan {
  return {
    tapes: [
      { params: first.params, forward: first.forward },
      { params: second.params, forward: (earlier) => second.forward(earlier[0] as Taped<A>) },
    ],
    change: (taped) => change(taped[0] as Taped<A>, taped[1] as Taped<B>),
  };
}
