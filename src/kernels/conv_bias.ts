/**
 * A convolution with its bias as one op on the native engine's CPU: oneDNN's
 * `_MklNativeConv2DWithBias` (kernel `IbmlConv2DBias`), instead of TensorFlow's `Conv2D` and
 * a broadcast `Add` over the whole output (at Img_FC's first layer, 32 x 30 x 30 x 96, the
 * add cost about as much as a third of the convolution: bench/README.md, "Fewer passes for
 * Img_FC").
 *
 * oneDNN adds the bias to each finished output value, as the separate `Add` does, so the
 * outputs are the same bit for bit (tests/models/conv_test.ts checks it on the native
 * suite); it is part of the exact kernel set (src/kernels/mod.ts). The gradient is the stock
 * one: the registered `Conv2D` gradient for the input and the filter (each computed only
 * when asked for, so a first layer still skips its input gradient) and, for the bias, the
 * sum of `dy` over every axis but the channels, as `Add`'s gradient does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { conv2dWithBias } from "./conv_bias.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D, w = tf.ones([3, 3, 1, 2]) as tf.Tensor4D;
 * // the biased convolution on the native engine's CPU; null elsewhere (compose it there)
 * assert.equal(conv2dWithBias(x, w, tf.zeros([2]), 1, 1), null);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { nativeCpuBackend, type NodeBackendLike } from "./native_ops.ts";

/** Kernel name of the fused convolution + bias (inputs `x`, `filter`, `bias`). */
export const CONV_BIAS = "IbmlConv2DBias";

/** Attributes of {@linkcode CONV_BIAS}. */
interface ConvBiasAttrs {
  /** Stride in both directions. */
  strides: number;
  /** TensorFlow's padding mode. */
  pad: "same" | "valid";
}

/**
 * The kernel on the native engine: `_MklNativeConv2DWithBias` (NHWC, float32), reached by
 * its `MklNameChangeOp` kernel label as in src/kernels/native_ops.ts.
 *
 * @example
 * ```ts ignore
 * // not run: needs the native engine (tfjs-node)
 * import * as tf from "@tensorflow/tfjs";
 * import { CONV_BIAS, nativeConvBiasKernel } from "./conv_bias.ts";
 * tf.registerKernel({ kernelName: CONV_BIAS, backendName: "tensorflow", kernelFunc: nativeConvBiasKernel });
 * ```
 */
export const nativeConvBiasKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as NodeBackendLike;
  const b = be.binding;
  const { x, filter, bias } = inputs as Record<"x" | "filter" | "bias", tf.TensorInfo>;
  const { strides: s, pad } = attrs as unknown as ConvBiasAttrs;
  return be.executeSingleOutput("_MklNativeConv2DWithBias", [
    { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "strides", type: b.TF_ATTR_INT, value: [1, s, s, 1] },
    { name: "padding", type: b.TF_ATTR_STRING, value: pad.toUpperCase() },
    { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
    { name: "dilations", type: b.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: "is_filter_const", type: b.TF_ATTR_BOOL, value: false },
    { name: "_kernel", type: b.TF_ATTR_STRING, value: "MklNameChangeOp" },
  ], [x, filter, bias]);
};

/**
 * The gradient of {@linkcode CONV_BIAS}: the registered `Conv2D` gradient for `x` and
 * `filter`, the channel sums of `dy` for `bias`.
 *
 * @example
 * ```ts ignore
 * // not run: needs the native engine (tfjs-node)
 * import * as tf from "@tensorflow/tfjs";
 * import { convBiasGradient } from "./conv_bias.ts";
 * tf.registerGradient(convBiasGradient);
 * ```
 */
export const convBiasGradient: tf.GradConfig = {
  kernelName: CONV_BIAS,
  inputsToSave: ["x", "filter"],
  gradFunc: (dy, saved, attrs) => {
    const { strides, pad } = attrs as unknown as ConvBiasAttrs;
    const convAttrs = { strides, pad, dataFormat: "NHWC", dilations: 1 };
    const conv = tf.getGradient("Conv2D")!.gradFunc(
      dy,
      saved,
      convAttrs as unknown as tf.NamedAttrMap,
    );
    return { x: conv.x, filter: conv.filter, bias: () => tf.sum(dy as tf.Tensor, [0, 1, 2]) };
  },
};

/**
 * TensorFlow's padding mode equal to PyTorch's symmetric zero padding `pad` for a filter of
 * shape [kh, kw, ...] at this stride: "valid" for no padding, "same" for stride 1 with pad
 * (k - 1) / 2 on a square kernel; `null` when no mode is equal (the caller pads first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensorflowPadding } from "./conv_bias.ts";
 * assert.equal(tensorflowPadding([3, 3, 96, 64], 1, 1), "same"); // Img_FC's layers
 * assert.equal(tensorflowPadding([7, 7, 3, 64], 2, 3), null); // the ResNet stem
 * ```
 */
export function tensorflowPadding(
  filterShape: readonly number[],
  stride: number,
  pad: number,
): "same" | "valid" | null {
  if (pad === 0) return "valid";
  const [kh, kw] = filterShape;
  return stride === 1 && kh === kw && 2 * pad === kh - 1 ? "same" : null;
}

/**
 * `x` convolved with `filter` (stride, symmetric zero padding `pad` as PyTorch's) plus
 * `bias`, as one {@linkcode CONV_BIAS} op where it runs: the kernel is registered (the native
 * engine with the fast kernels on), TensorFlow runs on the CPU, and the padding is one of
 * TensorFlow's modes ({@linkcode tensorflowPadding}). `null`
 * otherwise: the caller then convolves and adds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { conv2dWithBias } from "./conv_bias.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D, w = tf.ones([3, 3, 1, 2]) as tf.Tensor4D;
 * assert.equal(conv2dWithBias(x, w, tf.zeros([2]), 1, 1), null); // not the native engine
 * ```
 */
export function conv2dWithBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  stride: number,
  pad: number,
): tf.Tensor4D | null {
  if (!nativeCpuBackend() || !tf.getKernel(CONV_BIAS, "tensorflow")) return null;
  if (x.dtype !== "float32" || filter.dtype !== "float32" || bias.dtype !== "float32") {
    return null;
  }
  const mode = tensorflowPadding(filter.shape, stride, pad);
  if (!mode) return null;
  const attrs: ConvBiasAttrs = { strides: stride, pad: mode };
  return tf.engine().runKernel(
    CONV_BIAS,
    { x, filter, bias },
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor4D;
}
