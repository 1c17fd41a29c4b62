/**
 * Patch 4: the wasm `MaxPoolGrad` kernel, shifted so that all-negative windows get their
 * gradient.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { patchWasmMaxPoolGrad } from "./max_pool_grad.ts";
 * patchWasmMaxPoolGrad();
 * assert.ok(tf.getKernel("MaxPoolGrad", "wasm"));
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { runOpsInKernel } from "./kernel_ops.ts";

/** The smallest positive normal float32; the wasm MaxPoolGrad kernel's initial maximum. */
const FLT_MIN = 1.1754943508222875e-38;

/**
 * Patch 4: the wasm `MaxPoolGrad` kernel starts each window's running maximum at FLT_MIN
 * (the smallest positive float) instead of -Infinity, so a window whose values are all
 * below FLT_MIN (i.e. all <= 0) sends its gradient nowhere. The wrapper adds
 * c = max(0, -min(y)) * (1 + 2^-10) + 4 * FLT_MIN to the input before calling the stock
 * kernel, where y is the forward output (the window maxima): then every window's maximum
 * is >= FLT_MIN, and a shift does not move any window's argmax. It costs one reduction
 * and one elementwise add (measured 0-30% on top of the kernel, in the noise of a step).
 *
 * Remaining differences from the cpu kernel, both harmless for training:
 * - among exactly tied values the wasm kernel picks the LAST one in the window, cpu the
 *   first. After a ReLU, an all-zero window thus credits its last zero instead of its
 *   first; ReLU's gradient zeroes both anyway;
 * - when min(y) < 0, x + c is rounded, so two values closer than about 1e-7 * |min(y)|
 *   may become a tie. For y >= 0 only exact zeros change (to 4 * FLT_MIN).
 * A kernel built only from tfjs ops (strided slices + argMax + scatterND) reproduces cpu
 * exactly but measured 9-11x slower than the stock kernel, so it is not used.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { patchWasmMaxPoolGrad } from "./max_pool_grad.ts";
 * patchWasmMaxPoolGrad(); // once: installGradPatches does it
 * await tf.setBackend("wasm");
 * const x = tf.tensor4d([-1, -2, -3, -4], [1, 2, 2, 1]); // a window of values <= 0
 * const dx = tf.grad((x) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")))(x);
 * assert.deepEqual(Array.from(await dx.data()), [1, 0, 0, 0]); // the stock kernel lost it
 * ```
 */
export function patchWasmMaxPoolGrad(): void {
  const stock = tf.getKernel("MaxPoolGrad", "wasm");
  if (!stock) return;
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const be = backend as tf.KernelBackend;
    const x = inputs.input as tf.TensorInfo;
    const y = inputs.output ?? x; // min over the window maxima suffices; x is a safe fallback
    const shifted = runOpsInKernel(be, [x, y], ([xt, yt]) => {
      const shift = tf.add(tf.mul(tf.relu(tf.neg(tf.min(yt))), 1 + 2 ** -10), 4 * FLT_MIN);
      return tf.add(xt, shift);
    });
    // `shifted` holds one reference of its own; a wrapper releases it afterwards.
    const owner = tf.engine().makeTensorFromTensorInfo(shifted, be);
    try {
      return stock.kernelFunc({ inputs: { ...inputs, input: shifted }, backend, attrs });
    } finally {
      owner.dispose();
    }
  };
  tf.unregisterKernel("MaxPoolGrad", "wasm");
  tf.registerKernel({ ...stock, kernelFunc });
}
