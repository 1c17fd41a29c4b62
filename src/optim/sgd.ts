/**
 * SGD with PyTorch semantics: for each parameter with a gradient g,
 *   g <- g + weight_decay * p        (inside the step, after any gradient modification)
 *   v <- momentum * v + g            (no dampening; v starts at 0, so v_1 = g_1 as in PyTorch)
 *   p <- p - lr * v
 * Parameters without a gradient in a step are left untouched (no decay, no momentum).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Param } from "../models/params.ts";
import type { Grads } from "./grads.ts";
import type { StepOptimizer } from "./micro_batch.ts";
import { fastKernelsEnabled } from "../kernels/switches.ts";
import { decayedGradient, fusedSgdStep, type SgdEntry } from "./fused_sgd.ts";
import { NativeSgd } from "./native_sgd.ts";

/** Options of {@linkcode Sgd}. */
export interface SgdOptions {
  /** Momentum (0.9 in every official script). */
  momentum: number;
  /** L2 weight decay added to the gradient (1e-4). */
  weightDecay: number;
  /**
   * Fuse the update into one in-place pass per parameter: on wasm/cpu in JS
   * (src/optim/fused_sgd.ts), on the native engine's CPU as TensorFlow's `ResourceApplyMomentum`
   * (src/optim/native_sgd.ts); both bitwise identical to the op-by-op update. Default true,
   * unless `IBML_FAST_KERNELS=0`.
   */
  fused?: boolean;
}

/**
 * PyTorch-semantics SGD over named parameters.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { Sgd } from "./sgd.ts";
 *
 * const w = makeParam("head.w", "head", "kernel", new Float32Array([1, 2]), [2]);
 * const opt = new Sgd([w], { momentum: 0.9, weightDecay: 0 });
 * opt.step(new Map([["head.w", tf.tensor1d([1, 1])]]), 0.1);
 * w.variable.dataSync(); // Float32Array [0.9, 1.9]
 * opt.step(new Map([["head.w", tf.tensor1d([1, 1])]]), 0.1); // v = 0.9 * 1 + 1 = 1.9
 * w.variable.dataSync(); // Float32Array [0.71, 1.71]
 * opt.dispose();
 * ```
 */
export class Sgd implements StepOptimizer {
  #params = new Map<string, Param>();
  #velocity = new Map<string, tf.Variable>();
  /** The native engine's in-place update, made on the first fused step there (null elsewhere). */
  #native: NativeSgd | null | undefined;

  /** Creates zero velocity buffers for every parameter. */
  constructor(params: Param[], readonly options: SgdOptions) {
    for (const p of params) {
      if (this.#params.has(p.name)) throw new Error(`duplicate parameter name '${p.name}'`);
      this.#params.set(p.name, p);
      const zeros = tf.zerosLike(p.variable);
      this.#velocity.set(p.name, tf.variable(zeros, false));
      zeros.dispose(); // the variable holds the data alone (updated in place where fused)
    }
  }

  /** Applies one update with learning rate `lr` to every parameter present in `grads`. */
  step(grads: Grads, lr: number): void {
    const { momentum, weightDecay } = this.options;
    let entries: SgdEntry[] = [];
    for (const [name, grad] of grads) {
      const p = this.#params.get(name);
      if (!p) throw new Error(`gradient for unknown parameter '${name}'`);
      entries.push({ param: p.variable, velocity: this.#velocity.get(name)!, grad });
    }
    if (this.options.fused ?? fastKernelsEnabled()) {
      const c = { lr, momentum, weightDecay };
      if (fusedSgdStep(entries, c)) return;
      if (this.#native === undefined) this.#native = NativeSgd.create();
      if (this.#native) entries = this.#native.step(entries, c);
    }
    tf.tidy(() => {
      for (const { param, velocity: v, grad: g } of entries) {
        const gd = decayedGradient(g, param, weightDecay);
        const vNew = momentum !== 0 ? tf.add(tf.mul(v, momentum), gd) : gd;
        v.assign(vNew);
        param.assign(tf.sub(param, tf.mul(vNew, lr)));
      }
    });
  }

  /** Velocity buffers by parameter name (for checkpoints). */
  state(): Map<string, tf.Variable> {
    return this.#velocity;
  }

  /** Frees the velocity buffers. */
  dispose(): void {
    this.#native?.dispose();
    for (const v of this.#velocity.values()) v.dispose();
  }
}
