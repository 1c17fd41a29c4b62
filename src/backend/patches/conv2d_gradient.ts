/**
 * Patch 1: the Conv2D gradient as plain convolutions on the JavaScript engines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { patchConv2DGradient } from "./conv2d_gradient.ts";
 * patchConv2DGradient();
 * assert.ok(tf.getGradient("Conv2D"));
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2dFilterGrad, conv2dInputGradStride1, pair } from "./conv2d_grads.ts";
import { onNativeBackend } from "./kernel_ops.ts";

type Tensor4D = tf.Tensor4D;
type GradFunc = tf.GradConfig["gradFunc"];
type GradMap = ReturnType<GradFunc>;

/**
 * Patch 1: the Conv2D gradient. The stock one calls the `Conv2DBackpropFilter` kernel,
 * which wasm lacks and cpu runs very slowly, and `Conv2DBackpropInput`, which on these
 * backends is slower than a plain conv for stride 1. NCHW, dilations != 1 and the native
 * backend keep the stock gradient.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { patchConv2DGradient } from "./conv2d_gradient.ts";
 * patchConv2DGradient(); // once: installGradPatches does it
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
 * const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
 * const dw = tf.grad((w) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, "same")))(w);
 * assert.deepEqual(Array.from(await dw.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 */
export function patchConv2DGradient(): void {
  const stock = tf.getGradient("Conv2D");
  const gradFunc: GradFunc = (dy, saved, attrs) => {
    const a = attrs as unknown as tf.Conv2DAttrs;
    const [dh, dw] = pair(a.dilations ?? 1);
    if (a.dataFormat === "NCHW" || dh !== 1 || dw !== 1 || onNativeBackend()) {
      return stock.gradFunc(dy, saved, attrs);
    }
    const [x, filter] = saved as [Tensor4D, Tensor4D];
    const dy4 = dy as Tensor4D;
    const stockGrads = stock.gradFunc(dy, saved, attrs);
    const [sh, sw] = pair(a.strides);
    const grads: GradMap = {
      x: stockGrads.x,
      filter: () => conv2dFilterGrad(x, dy4, filter.shape, a.strides, a.pad, a.dimRoundingMode),
    };
    if (sh === 1 && sw === 1) {
      grads.x = () =>
        conv2dInputGradStride1(x.shape, dy4, filter, a.pad, a.dimRoundingMode) ??
          stockGrads.x();
    }
    return grads;
  };
  tf.registerGradient({ kernelName: "Conv2D", inputsToSave: ["x", "filter"], gradFunc });
}
