/**
 * The SGD update of src/optim/sgd.ts fused into one pass per parameter, written directly
 * into the parameter's and the velocity's memory on the wasm and cpu backends.
 *
 * The op-by-op update runs 5-6 tfjs ops and 2 assigns per parameter (each op allocates a
 * buffer and goes through the engine); this runs none. It computes exactly what the ops
 * compute, in float32, in the same order, with one rounding per op (`Math.fround`; float32
 * add/mul/sub of float32 operands is correctly rounded through a double), so the results
 * are **bitwise identical** to the op-by-op update (tests/fused_sgd_test.ts):
 *
 *   gd = g + fround(p * wd)          (when wd != 0; wd, momentum, lr rounded to float32)
 *   v' = fround(v * momentum) + gd   (when momentum != 0, else v' = gd)
 *   p' = p - fround(v' * lr)
 *
 * A buffer shared with another tensor (reference count above 1, e.g. the variable's initial
 * value is still alive) is never written in place: new buffers are allocated and assigned
 * (copy on write). On wasm, a buffer written in place has its cached XNNPACK operators
 * dropped (packed weights of a conv/matmul using it as filter).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { memoryOf } from "../kernels/memory.ts";

/** One parameter's update: its variable, its velocity buffer and its gradient. */
export interface SgdEntry {
  /** The parameter. */
  param: tf.Variable;
  /** Its momentum buffer (same shape). */
  velocity: tf.Variable;
  /** Its gradient this step (same shape). */
  grad: tf.Tensor;
}

/** Update constants (PyTorch semantics, see src/optim/sgd.ts). */
export interface SgdConstants {
  /** Learning rate. */
  lr: number;
  /** Momentum. */
  momentum: number;
  /** L2 weight decay added to the gradient. */
  weightDecay: number;
}

/** Whether two shapes are equal. */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The weight-decayed gradient `g + p * wd` as tfjs ops, the first line of the op-by-op update
 * (src/optim/sgd.ts; src/optim/native_sgd.ts feeds it to TensorFlow's momentum op); `g`
 * itself when `wd` is 0. Call it inside `tf.tidy` (the product is an intermediate).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { decayedGradient } from "./fused_sgd.ts";
 * await tf.setBackend("wasm");
 * const g = tf.tensor1d([1, 2]), p = tf.tensor1d([10, 20]);
 * const gd = tf.tidy(() => decayedGradient(g, p, 0.5));
 * assert.deepEqual(Array.from(gd.dataSync()), [6, 12]);
 * assert.equal(decayedGradient(g, p, 0), g);
 * ```
 */
export function decayedGradient(g: tf.Tensor, p: tf.Tensor, wd: number): tf.Tensor {
  return wd !== 0 ? tf.add(g, tf.mul(p, wd)) : g;
}

/**
 * Whether an entry's parameter, velocity and gradient are all float32 of one shape, as both
 * fused updates (this one and src/optim/native_sgd.ts) need.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { floatOfOneShape } from "./fused_sgd.ts";
 * await tf.setBackend("wasm");
 * const param = tf.variable(tf.zeros([2])), velocity = tf.variable(tf.zeros([2]));
 * assert.ok(floatOfOneShape({ param, velocity, grad: tf.ones([2]) }));
 * assert.ok(!floatOfOneShape({ param, velocity, grad: tf.ones([1, 2]) }));
 * ```
 */
export function floatOfOneShape({ param, velocity, grad }: SgdEntry): boolean {
  if (param.dtype !== "float32" || velocity.dtype !== "float32" || grad.dtype !== "float32") {
    return false;
  }
  return sameShape(param.shape, grad.shape) && sameShape(param.shape, velocity.shape);
}

/** Whether every tensor of every entry can be read and written directly. */
function supported(entries: SgdEntry[]): boolean {
  for (const e of entries) {
    if (e.param.isDisposed || e.velocity.isDisposed || e.grad.isDisposed) return false;
    if (!floatOfOneShape(e)) return false;
  }
  return true;
}

/** Replaces a variable's buffer by a freshly allocated one (copy on write). */
function adopt(variable: tf.Variable, info: tf.TensorInfo, backend: tf.KernelBackend): void {
  const t = tf.engine().makeTensorFromTensorInfo(info, backend);
  variable.assign(t);
  t.dispose();
}

/**
 * Applies the SGD update to every entry in place, or returns false (touching nothing) when
 * the current backend's memory is not directly addressable (webgpu, tensorflow) or an entry
 * is not a float32 tensor of matching shape; the caller then runs the op-by-op update.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fusedSgdStep } from "./fused_sgd.ts";
 *
 * const param = tf.variable(tf.tensor1d([1, 2]));
 * const velocity = tf.variable(tf.zeros([2]));
 * const grad = tf.tensor1d([0.5, -0.5]);
 * const c = { lr: 0.1, momentum: 0.9, weightDecay: 0 };
 * if (!fusedSgdStep([{ param, velocity, grad }], c)) {
 *   // webgpu/tensorflow: the caller runs the op-by-op update instead
 * }
 * param.dataSync(); // Float32Array [0.95, 2.05] (v = g on the first step; p - lr v)
 * ```
 */
export function fusedSgdStep(entries: SgdEntry[], c: SgdConstants): boolean {
  const backend = tf.backend();
  const mem = memoryOf(backend);
  if (!mem || !supported(entries)) return false;
  const f = Math.fround;
  const wd = f(c.weightDecay), m = f(c.momentum), lr = f(c.lr);
  for (const { param, velocity, grad } of entries) {
    // Allocate first (a wasm allocation may move the heap and detach earlier views).
    const newP = mem.refCount(param) > 1 ? mem.alloc([...param.shape]) : null;
    const newV = mem.refCount(velocity) > 1 ? mem.alloc([...velocity.shape]) : null;
    const p = mem.view(param), v = mem.view(velocity), g = mem.view(grad);
    const po = newP ? mem.view(newP) : p, vo = newV ? mem.view(newV) : v;
    const n = p.length;
    if (wd !== 0 && m !== 0) {
      for (let i = 0; i < n; i++) {
        const pi = p[i];
        const vi = f(f(v[i] * m) + f(g[i] + f(pi * wd)));
        vo[i] = vi;
        po[i] = f(pi - f(vi * lr));
      }
    } else {
      for (let i = 0; i < n; i++) {
        const pi = p[i];
        let gi = g[i];
        if (wd !== 0) gi = f(gi + f(pi * wd));
        const vi = m !== 0 ? f(f(v[i] * m) + gi) : gi;
        vo[i] = vi;
        po[i] = f(pi - f(vi * lr));
      }
    }
    if (newP) adopt(param, newP, backend);
    else mem.touched(param);
    if (newV) adopt(velocity, newV, backend);
    else mem.touched(velocity);
  }
  return true;
}
