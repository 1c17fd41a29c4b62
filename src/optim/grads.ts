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
 * ```ts ignore
 * const { loss, grads, aux } = gradsOf(params, () => {
 *   const z = model.forward(x);
 *   return { loss: crossEntropy(z, y), aux: { z } };
 * });
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
 * Disposes every tensor of a gradient map.
 *
 * @example
 * ```ts ignore
 * disposeGrads(grads);
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
 * ```ts ignore
 * const l = crossEntropy(logits, labels);
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
 * ```ts ignore
 * const fDetached = stopGradient(features);
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
 * ```ts ignore
 * const f = scaleGradient(features, 1 + omega); // ARL's encoder-output multiplier
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
 * ```ts ignore
 * const n = globalNorm(grads);
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
 * ```ts ignore
 * grads = clipGlobalNorm(grads, 40); // DGL
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
 * ```ts ignore
 * grads = scaleGrads(grads, (name) => name.startsWith("encoder.audio"), 0.4);
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
 * ```ts ignore
 * const total = addGrads(gFused, gUni);
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
