/**
 * A fully connected layer y = x W + b with W stored [in, out].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { makeParam, type Param, xavierNormal } from "./params.ts";
import type { Rng } from "../rng.ts";

/**
 * Linear layer (xavier-normal kernel, zero bias, as the official IBML code initialises).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { Linear } from "./linear.ts";
 * await selectBackend("wasm");
 * const fc = new Linear("head", "head", 8, 6, new Rng(0));
 * const y = fc.apply(tf.ones([2, 8]));
 * assert.deepEqual(y.shape, [2, 6]);
 * ```
 */
export class Linear {
  /** Kernel [in, out]. */
  readonly kernel: Param;
  /** Bias [out], or null without bias. */
  readonly bias: Param | null;

  /** Creates the layer; `name` prefixes the parameter names. */
  constructor(
    name: string,
    group: string,
    readonly inDim: number,
    readonly outDim: number,
    rng: Rng,
    withBias = true,
  ) {
    this.kernel = makeParam(`${name}.kernel`, group, "kernel", xavierNormal(rng, inDim, outDim), [
      inDim,
      outDim,
    ]);
    this.bias = withBias
      ? makeParam(`${name}.bias`, group, "bias", new Float32Array(outDim), [outDim])
      : null;
  }

  /** x W + b. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.kernel.variable as tf.Tensor2D);
    return this.bias ? tf.add(y, this.bias.variable) as tf.Tensor2D : y;
  }

  /** The layer's parameters. */
  params(): Param[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}
