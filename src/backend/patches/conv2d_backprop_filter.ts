/**
 * Patch 2: a `Conv2DBackpropFilter` kernel for cpu and wasm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { patchConv2DBackpropFilterKernel } from "./conv2d_backprop_filter.ts";
 * patchConv2DBackpropFilterKernel("wasm");
 * assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2dFilterGrad } from "./conv2d_grads.ts";
import { runOpsInKernel } from "./kernel_ops.ts";

type Tensor4D = tf.Tensor4D;

/**
 * Patch 2: a `Conv2DBackpropFilter` kernel. `tf.fused.conv2d` (used by tfjs-layers
 * Conv2D) and the conv2dTranspose gradient call this kernel directly rather than the
 * Conv2D gradient, so patch 1 alone does not cover them. Missing on wasm, very slow on cpu.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { patchConv2DBackpropFilterKernel } from "./conv2d_backprop_filter.ts";
 * for (const name of ["cpu", "wasm"]) patchConv2DBackpropFilterKernel(name);
 * await tf.setBackend("wasm"); // which has no Conv2DBackpropFilter kernel of its own
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
 * const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
 * const dw = tf.grad((w) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, "same")))(w);
 * assert.deepEqual(Array.from(await dw.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 */
export function patchConv2DBackpropFilterKernel(backendName: string): void {
  if (!tf.findBackendFactory(backendName)) return;
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const { x: xInfo, dy: dyInfo } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    return runOpsInKernel(backend as tf.KernelBackend, [xInfo, dyInfo], ([x, dy]) => {
      let x4 = x as Tensor4D;
      let dy4 = dy as Tensor4D;
      if (a.dataFormat === "NCHW") {
        x4 = tf.transpose(x4, [0, 2, 3, 1]);
        dy4 = tf.transpose(dy4, [0, 2, 3, 1]);
      }
      return conv2dFilterGrad(x4, dy4, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
    });
  };
  if (tf.getKernel("Conv2DBackpropFilter", backendName)) {
    tf.unregisterKernel("Conv2DBackpropFilter", backendName);
  }
  tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName, kernelFunc });
}
