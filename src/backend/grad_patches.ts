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
 * Every patch is checked against the stock cpu gradient by tests/backend_test.ts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The smallest positive normal float32; the wasm MaxPoolGrad kernel's initial maximum. */
const FLT_MIN = 1.1754943508222875e-38;

type Tensor4D = tf.Tensor4D;
type FilterShape = [number, number, number, number];
type Padding = tf.Conv2DAttrs["pad"];
type RoundingMode = tf.Conv2DAttrs["dimRoundingMode"];
type GradFunc = tf.GradConfig["gradFunc"];
type GradMap = ReturnType<GradFunc>;

let patchesInstalled = false;

/**
 * Installs the training patches (idempotent): a faster Conv2D gradient, a replacement
 * `Conv2DBackpropFilter` kernel on cpu and wasm, a GatherV2 gradient that works on wasm,
 * and a fixed `MaxPoolGrad` kernel on wasm. {@link selectBackend} calls it.
 *
 * @example
 * ```ts
 * installGradPatches();
 * const [dx, dw] = tf.grads((x, w) => tf.sum(tf.conv2d(x, w, 2, "same")))([x, w]);
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

/** True when the native libtensorflow backend runs: it has fast kernels for everything. */
function onNativeBackend(): boolean {
  return tf.getBackend() === "tensorflow";
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === "number" ? [v, v] : v;
}

/**
 * dW for an NHWC conv2d, as ONE ordinary convolution.
 *
 * dW[kh,kw,ci,co] = sum over n,ho,wo of xPadded[n, ho*sh+kh, wo*sw+kw, ci] * dy[n,ho,wo,co].
 * Read x as a batch of Ci images with N channels and dy as an Ho x Wo filter from N to Co
 * channels: that sum is a valid convolution whose dilation is the forward stride.
 */
function conv2dFilterGrad(
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
 */
function conv2dInputGradStride1(
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

/**
 * Patch 1: the Conv2D gradient. The stock one calls the `Conv2DBackpropFilter` kernel,
 * which wasm lacks and cpu runs very slowly, and `Conv2DBackpropInput`, which on these
 * backends is slower than a plain conv for stride 1. NCHW, dilations != 1 and the native
 * backend keep the stock gradient.
 */
function patchConv2DGradient(): void {
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

/**
 * Runs tfjs ops inside a kernel function, whose inputs and output are raw TensorInfos.
 * Each input gets a temporary Tensor wrapper (with its own reference, so disposing the
 * wrapper does not free the caller's buffer); the result keeps one reference, which the
 * engine takes over when the kernel returns.
 */
function runOpsInKernel(
  backend: tf.KernelBackend,
  inputs: tf.TensorInfo[],
  f: (tensors: tf.Tensor[]) => tf.Tensor,
): tf.TensorInfo {
  const engine = tf.engine();
  const wrappers = inputs.map((info) => {
    backend.incRef(info.dataId);
    return engine.makeTensorFromTensorInfo(info, backend);
  });
  try {
    const out = tf.tidy(() => f(wrappers));
    backend.incRef(out.dataId);
    const info: tf.TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return info;
  } finally {
    for (const t of wrappers) t.dispose();
  }
}

/**
 * Patch 2: a `Conv2DBackpropFilter` kernel. `tf.fused.conv2d` (used by tfjs-layers
 * Conv2D) and the conv2dTranspose gradient call this kernel directly rather than the
 * Conv2D gradient, so patch 1 alone does not cover them. Missing on wasm, very slow on cpu.
 */
function patchConv2DBackpropFilterKernel(backendName: string): void {
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

/**
 * Patch 3: the GatherV2 gradient for axis 0 without batch dims, via `scatterND` (which
 * sums duplicate indices, as the gradient must). The stock gradient uses
 * `UnsortedSegmentSum`, which wasm lacks. The indices get a float zero gradient instead of
 * the stock int32 one, which the engine rejects when the indices lie on the tape. Other
 * axes and batchDims keep the stock gradient.
 */
function patchGatherGradient(): void {
  const stock = tf.getGradient("GatherV2");
  const gradFunc: GradFunc = (dy, saved, attrs) => {
    const [x, indices] = saved;
    const a = attrs as unknown as tf.GatherV2Attrs;
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    if (axis !== 0 || (a.batchDims ?? 0) !== 0 || onNativeBackend()) {
      return stock.gradFunc(dy, saved, attrs);
    }
    return {
      x: () =>
        tf.scatterND(
          tf.reshape(indices, [indices.size, 1]),
          tf.reshape(dy as tf.Tensor, [indices.size, ...x.shape.slice(1)]),
          x.shape,
        ),
      indices: () => tf.zeros(indices.shape, "float32"),
    };
  };
  tf.registerGradient({ kernelName: "GatherV2", inputsToSave: ["x", "indices"], gradFunc });
}

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
 */
function patchWasmMaxPoolGrad(): void {
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
