/**
 * The training patches for the JavaScript engines (wasm and cpu), tfjs pinned at 4.22.0.
 *
 * Why they exist (see spec/research/stack-notes.md, Q2 and Appendix A):
 * - the wasm backend has no `Conv2DBackpropFilter` kernel, so any conv2d filter gradient
 *   throws there, and the cpu version of that kernel is extremely slow;
 * - the wasm backend has no `UnsortedSegmentSum` kernel, which the stock GatherV2
 *   gradient needs;
 * - the wasm `MaxPoolGrad` kernel starts its running maximum at FLT_MIN (the smallest
 *   positive float) instead of -Infinity, so a pooling window whose values are all <= 0
 *   sends its gradient nowhere.
 *
 * Where each applies:
 *
 * | patch                               | wasm | cpu | tensorflow (native)            |
 * |-------------------------------------|------|-----|--------------------------------|
 * | 1. Conv2D gradient (one conv for dW) | yes  | yes | no: stock gradient, TF kernels |
 * | 2. Conv2DBackpropFilter kernel      | yes  | yes | no: TF's own kernel            |
 * | 3. GatherV2 gradient via scatterND  | yes  | yes | no: stock (UnsortedSegmentSum) |
 * | 4. MaxPoolGrad shift                | yes  | no  | no: TF's own kernel            |
 *
 * Gradients are registered per op, for every backend at once, so patches 1 and 3 check the
 * active backend at gradient time and hand the native engine the stock gradient; kernels
 * (2, 4) are registered for the named backends only.
 *
 * Every patch is checked against the stock cpu gradient by tests/backend/patches_test.ts.
 *
 * @module
 */
import { patchConv2DBackpropFilterKernel } from "./conv2d_backprop_filter.ts";
import { patchConv2DGradient } from "./conv2d_gradient.ts";
import { patchGatherGradient } from "./gather_gradient.ts";
import { patchWasmMaxPoolGrad } from "./max_pool_grad.ts";

let patchesInstalled = false;

/**
 * Installs the training patches (idempotent): a faster Conv2D gradient, a replacement
 * `Conv2DBackpropFilter` kernel on cpu and wasm, a GatherV2 gradient that works on wasm,
 * and a fixed `MaxPoolGrad` kernel on wasm. `selectBackend` (select.ts) calls it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "./install.ts";
 * installGradPatches();
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 4, 4, 1]), w = tf.ones([3, 3, 1, 2]);
 * const [dx, dw] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
 *   tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same"))
 * )([x, w]);
 * assert.deepEqual([dx.shape, dw.shape], [[1, 4, 4, 1], [3, 3, 1, 2]]);
 * ```
 */
export function installGradPatches(): void {
  if (patchesInstalled) return;
  patchesInstalled = true;
  patchConv2DGradient();
  for (const backendName of ["cpu", "wasm"]) patchConv2DBackpropFilterKernel(backendName);
  patchGatherGradient();
  patchWasmMaxPoolGrad();
}
