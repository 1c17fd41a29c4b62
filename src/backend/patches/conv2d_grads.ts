/**
 * The Conv2D gradients as ordinary convolutions, for the JavaScript engines: dW as one
 * dilated convolution, and dX of a stride-1 convolution as a "full" convolution with the
 * flipped kernel (patches 1 and 2 use them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { conv2dFilterGrad } from "./conv2d_grads.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D, dy = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
 * const dw = conv2dFilterGrad(x, dy, [3, 3, 1, 1], 1, "same", undefined);
 * assert.deepEqual(Array.from(await dw.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type Tensor4D = tf.Tensor4D;
type FilterShape = [number, number, number, number];
type Padding = tf.Conv2DAttrs["pad"];
type RoundingMode = tf.Conv2DAttrs["dimRoundingMode"];

/**
 * A stride or dilation as `[height, width]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pair } from "./conv2d_grads.ts";
 * assert.deepEqual(pair(2), [2, 2]);
 * ```
 */
export function pair(v: number | [number, number]): [number, number] {
  return typeof v === "number" ? [v, v] : v;
}

/**
 * dW for an NHWC conv2d, as ONE ordinary convolution.
 *
 * dW[kh,kw,ci,co] = sum over n,ho,wo of xPadded[n, ho*sh+kh, wo*sw+kw, ci] * dy[n,ho,wo,co].
 * Read x as a batch of Ci images with N channels and dy as an Ho x Wo filter from N to Co
 * channels: that sum is a valid convolution whose dilation is the forward stride.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { conv2dFilterGrad } from "./conv2d_grads.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
 * const dy = tf.ones([1, 2, 2, 3]) as tf.Tensor4D; // stride 2, "same": 4 x 4 -> 2 x 2
 * const dw = conv2dFilterGrad(x, dy, [3, 3, 2, 3], 2, "same", undefined);
 * assert.deepEqual(dw.shape, [3, 3, 2, 3]);
 * ```
 */
export function conv2dFilterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: FilterShape,
  strides: number | [number, number],
  pad: Padding,
  dimRoundingMode: RoundingMode,
): Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      "channelsLast",
    );
    const { top, left } = info.padInfo;
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    // Rows/columns the forward pass actually read (in padded coordinates); pad with
    // zeros up to that size. Anything beyond only enlarges the result, sliced off below.
    const needH = (info.outHeight - 1) * sh + kh;
    const needW = (info.outWidth - 1) * sw + kw;
    const padBottom = Math.max(0, needH - x.shape[1] - top);
    const padRight = Math.max(0, needW - x.shape[2] - left);
    const padded = top || left || padBottom || padRight
      ? tf.pad(x, [[0, 0], [top, padBottom], [left, padRight], [0, 0]])
      : x;
    const xAsBatch = tf.transpose(padded, [3, 1, 2, 0]); // [Ci, Hp, Wp, N]
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    let grad = tf.conv2d(xAsBatch, dyAsFilter, 1, "valid", "NHWC", [sh, sw]); // [Ci, >=KH, >=KW, Co]
    if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
      grad = tf.slice(grad, [0, 0, 0, 0], [ci, kh, kw, co]);
    }
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}

/**
 * dX for a stride-1 NHWC conv2d: a "full" convolution of dy with the kernel flipped in
 * space and with in/out channels swapped. Returns null when the forward padding was larger
 * than the kernel (the trick would need negative padding); the caller then uses the stock
 * gradient.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { conv2dInputGradStride1 } from "./conv2d_grads.ts";
 * await tf.setBackend("wasm");
 * const dy = tf.ones([1, 3, 3, 1]) as tf.Tensor4D, filter = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
 * // null where this path does not apply (the caller runs the stock gradient then)
 * const dx = conv2dInputGradStride1([1, 3, 3, 1], dy, filter, "same", undefined);
 * assert.deepEqual(Array.from(await dx!.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 */
export function conv2dInputGradStride1(
  xShape: [number, number, number, number],
  dy: Tensor4D,
  filter: Tensor4D,
  pad: Padding,
  dimRoundingMode: RoundingMode,
): Tensor4D | null {
  const [kh, kw] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filter.shape,
    1,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  const { top, left } = info.padInfo;
  const [h, w] = [xShape[1], xShape[2]];
  const [ho, wo] = [dy.shape[1], dy.shape[2]];
  const pads = [kh - 1 - top, h - ho + top, kw - 1 - left, w - wo + left];
  if (pads.some((p) => p < 0)) return null;
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [KH, KW, Co, Ci]
    const dyPadded = tf.pad(dy, [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]]);
    return tf.conv2d(dyPadded, flipped, 1, "valid");
  });
}
