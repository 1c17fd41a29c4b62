/**
 * Gradient utilities for methods: compute named gradients (keeping forward outputs),
 * scale, combine, clip, and the two custom-gradient ops tfjs lacks (stop-gradient and a
 * gradient multiplier).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fusedCrossEntropyAvailable, SOFTMAX_CE } from "../kernels/cross_entropy.ts";
import type { Param } from "../models/params.ts";

/** Gradients by logical parameter name. */
export type Grads = Map<string, tf.Tensor>;

/** Result of {@linkcode gradsOf}. */
export interface GradResult<A> {
  /** The loss value. */
  loss: tf.Scalar;
  /** Gradients of the loss for every parameter it depends on. */
  grads: Grads;
  /** Whatever the loss function returned besides the loss (kept alive; caller disposes). */
  aux: A;
}

/** Recursively keeps every tensor inside a value so it survives the gradient tidy. */
function keepAll<A>(value: A): A {
  if (value instanceof tf.Tensor) {
    tf.keep(value);
  } else if (Array.isArray(value)) {
    value.forEach(keepAll);
  } else if (value && typeof value === "object") {
    Object.values(value as Record<string, unknown>).forEach(keepAll);
  }
  return value;
}

/**
 * Computes d loss / d param for the given parameters. `f` returns the loss and any
 * auxiliary tensors (logits...) the method wants to keep from the same forward pass.
 * Parameters the loss does not depend on are absent from `grads`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { crossEntropy, gradsOf } from "./grads.ts";
 *
 * const w = makeParam("head.w", "head", "kernel", new Float32Array([1, 0, 0, 1]), [2, 2]);
 * const x = tf.tensor2d([[1, 2]]), y = tf.tensor1d([0], "int32");
 * const { loss, grads, aux } = gradsOf([w], () => {
 *   const z = tf.matMul(x, w.variable) as tf.Tensor2D;
 *   return { loss: crossEntropy(z, y), aux: { z } };
 * });
 * grads.get("head.w")!.shape; // [2, 2]
 * aux.z.dataSync(); // Float32Array [1, 2]
 * loss.dataSync()[0]; // 1.3133 = ln(1 + e)
 * ```
 */
export function gradsOf<A>(params: Param[], f: () => { loss: tf.Scalar; aux: A }): GradResult<A> {
  let aux: A | undefined;
  const byVar = new Map(params.map((p) => [p.variable.name, p.name]));
  const { value, grads } = tf.variableGrads(() => {
    const out = f();
    aux = keepAll(out.aux);
    return out.loss;
  }, params.map((p) => p.variable));
  const named: Grads = new Map();
  for (const [varName, g] of Object.entries(grads)) named.set(byVar.get(varName)!, g);
  return { loss: value, grads: named, aux: aux as A };
}

/**
 * One backward pass of a training step: the forward pass and loss that are recorded on the
 * tape, and the parameters the loss is differentiated for. Most methods have one tape per
 * step; a method with two gradients of one batch (DGL, MMPareto) has two.
 */
export interface Tape<A = unknown> {
  /** The parameters this backward pass differentiates. */
  params: Param[];
  /**
   * Forward and loss. `earlier` holds the step's earlier tapes after their backward pass
   * (DGL's head loss reads the features of its first tape).
   */
  forward(earlier: readonly Taped[]): { loss: tf.Scalar; aux: A };
}

/** A tape after its backward pass: the loss, its gradients and the forward's outputs. */
export type Taped<A = unknown> = GradResult<A>;

/**
 * The backward stage: runs each tape's forward and loss on tfjs's tape and differentiates
 * it for the tape's parameters, in order ({@linkcode gradsOf} per tape).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { backward, crossEntropy } from "./grads.ts";
 *
 * const w = makeParam("head.w", "head", "kernel", new Float32Array([1, 0, 0, 1]), [2, 2]);
 * const x = tf.tensor2d([[1, 2]]), y = tf.tensor1d([0], "int32");
 * const [r] = backward([{
 *   params: [w],
 *   forward: () => {
 *     const z = tf.matMul(x, w.variable) as tf.Tensor2D; // forward
 *     return { loss: crossEntropy(z, y), aux: z }; // loss
 *   },
 * }]);
 * r.grads.get("head.w")!.shape; // [2, 2]
 * ```
 */
export function backward(tapes: readonly Tape[]): Taped[] {
  const done: Taped[] = [];
  for (const tape of tapes) done.push(gradsOf(tape.params, () => tape.forward(done)));
  return done;
}

/**
 * Disposes every tensor of a gradient map.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeGrads } from "./grads.ts";
 *
 * const grads = new Map([["head.w", tf.ones([2, 2])]]);
 * disposeGrads(grads);
 * grads.get("head.w")!.isDisposed; // true
 * ```
 */
export function disposeGrads(grads: Grads): void {
  for (const g of grads.values()) g.dispose();
}

/**
 * Mean softmax cross-entropy of logits [B, C] against integer labels [B] (PyTorch's
 * `F.cross_entropy` with mean reduction).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { crossEntropy } from "./grads.ts";
 *
 * const l = crossEntropy(tf.tensor2d([[0, 0], [0, 0]]), tf.tensor1d([0, 1], "int32"));
 * l.dataSync()[0]; // 0.6931 = ln 2
 * ```
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  // One kernel forward and one backward where the fast kernels run (src/kernels/cross_entropy.ts).
  if (fusedCrossEntropyAvailable(logits, labels)) {
    return tf.engine().runKernel(SOFTMAX_CE, { logits, labels }) as tf.Scalar;
  }
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(labels, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1)));
  });
}

/**
 * Identity in the forward pass, zero gradient backwards (PyTorch's `detach`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { stopGradient } from "./grads.ts";
 *
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(stopGradient(x), x)));
 * g(tf.tensor1d([3])).dataSync(); // Float32Array [3]: d(c x)/dx with c = x held constant
 * ```
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

/**
 * Identity in the forward pass, gradient multiplied by `k` backwards (a scalar or a
 * tensor broadcastable to x; `k` itself receives no gradient).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { scaleGradient } from "./grads.ts";
 *
 * const f = tf.tensor1d([1, 2]);
 * scaleGradient(f, 3).dataSync(); // Float32Array [1, 2]: the value is unchanged
 * const g = tf.grad((x: tf.Tensor) => tf.sum(scaleGradient(x, 3)));
 * g(f).dataSync(); // Float32Array [3, 3]: the gradient is multiplied
 * ```
 */
export function scaleGradient<T extends tf.Tensor>(x: T, k: number | tf.Tensor): T {
  if (typeof k === "number") {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, k),
    }));
    return op(x) as T;
  }
  // A tensor multiplier is an input of the op, saved for the backward pass, so it stays
  // alive even when created inside the loss function's scope; it gets a zero gradient.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, mult, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([mult]);
    return {
      value: tf.clone(input),
      gradFunc: (
        dy: tf.Tensor,
        saved: tf.Tensor[],
      ) => [tf.mul(dy, saved[0]), tf.zerosLike(saved[0])],
    };
  });
  return op(x, k) as T;
}

/**
 * Global L2 norm over all gradients (a scalar tensor).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { globalNorm } from "./grads.ts";
 *
 * const grads = new Map([["a", tf.tensor1d([3])], ["b", tf.tensor1d([4])]]);
 * globalNorm(grads).dataSync()[0]; // 5
 * ```
 */
export function globalNorm(grads: Grads): tf.Scalar {
  return tf.tidy(() => {
    const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(sq.length ? tf.addN(sq) : tf.scalar(0)) as tf.Scalar;
  });
}

/**
 * PyTorch's `clip_grad_norm_(max_norm)`: scales all gradients by
 * min(1, max_norm / (total_norm + 1e-6)). Returns new gradients (inputs are disposed).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { clipGlobalNorm } from "./grads.ts";
 *
 * const grads = new Map([["a", tf.tensor1d([3])], ["b", tf.tensor1d([4])]]);
 * const clipped = clipGlobalNorm(grads, 1); // norm 5 -> 1 (DGL and ARL clip to 40)
 * clipped.get("b")!.dataSync()[0]; // 0.8
 * ```
 */
export function clipGlobalNorm(grads: Grads, maxNorm: number): Grads {
  const out: Grads = new Map();
  tf.tidy(() => {
    const norm = globalNorm(grads);
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    for (const [k, g] of grads) out.set(k, tf.keep(tf.mul(g, coef)));
  });
  disposeGrads(grads);
  return out;
}

/**
 * Multiplies the gradients of the selected parameters by `k` (others unchanged).
 * Returns new gradients; inputs are disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { scaleGrads } from "./grads.ts";
 *
 * const grads = new Map([["encoder.audio.k", tf.ones([2])], ["head.k", tf.ones([2])]]);
 * const out = scaleGrads(grads, (name) => name.startsWith("encoder.audio"), 0.4);
 * out.get("encoder.audio.k")!.dataSync(); // Float32Array [0.4, 0.4]
 * out.get("head.k")!.dataSync(); // Float32Array [1, 1]
 * ```
 */
export function scaleGrads(
  grads: Grads,
  select: (name: string) => boolean,
  k: number | tf.Scalar,
): Grads {
  const out: Grads = new Map();
  for (const [name, g] of grads) {
    if (select(name)) {
      out.set(name, tf.mul(g, k));
      g.dispose();
    } else {
      out.set(name, g);
    }
  }
  return out;
}

/**
 * Adds two gradient maps (missing entries count as zero). Inputs are disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { addGrads } from "./grads.ts";
 *
 * const gFused = new Map([["head.k", tf.ones([2])]]);
 * const gUni = new Map([["head.k", tf.ones([2])], ["encoder.audio.k", tf.ones([1])]]);
 * const total = addGrads(gFused, gUni);
 * total.get("head.k")!.dataSync(); // Float32Array [2, 2]
 * total.get("encoder.audio.k")!.dataSync(); // Float32Array [1] (missing in gFused: zero)
 * ```
 */
export function addGrads(a: Grads, b: Grads): Grads {
  const out: Grads = new Map();
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const ga = a.get(name), gb = b.get(name);
    out.set(name, ga && gb ? tf.add(ga, gb) : (ga ?? gb)!.clone());
  }
  disposeGrads(a);
  disposeGrads(b);
  return out;
}
