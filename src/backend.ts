/**
 * TensorFlow.js backend selection, plus the gradient and kernel patches that make
 * training work on the backends available here (tfjs pinned at 4.22.0).
 *
 * Why the patches exist (see spec/research/stack-notes.md, Q2 and Appendix A):
 * - the wasm backend has no `Conv2DBackpropFilter` kernel, so any conv2d filter gradient
 *   throws there, and the cpu version of that kernel is extremely slow;
 * - the wasm backend has no `UnsortedSegmentSum` kernel, which the stock GatherV2
 *   gradient needs;
 * - the wasm `MaxPoolGrad` kernel starts its running maximum at FLT_MIN (the smallest
 *   positive float) instead of -Infinity, so a pooling window whose values are all <= 0
 *   sends its gradient nowhere.
 *
 * Every patch is checked against the stock cpu gradient by tests/backend_test.ts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { installFastKernels } from "./kernels/mod.ts";

/**
 * A backend the user can ask for (`--backend`). `auto` picks the fastest one available:
 * the native libtensorflow binding if installed, otherwise wasm.
 *
 * @example
 * ```ts
 * const request: BackendRequest = "wasm";
 * ```
 */
export type BackendRequest = "auto" | "tensorflow" | "wasm" | "webgpu" | "cpu";

/**
 * Every accepted {@link BackendRequest}, in the order shown to users.
 *
 * @example
 * ```ts
 * if (!BACKEND_REQUESTS.includes(flag as BackendRequest)) throw new Error("bad --backend");
 * ```
 */
export const BACKEND_REQUESTS: readonly BackendRequest[] = Object.freeze([
  "auto",
  "tensorflow",
  "wasm",
  "webgpu",
  "cpu",
]);

/**
 * The outcome of {@link selectBackend}.
 *
 * @example
 * ```ts
 * const choice: BackendChoice = await selectBackend("auto");
 * console.log(`backend: ${choice.reason}`);
 * ```
 */
export interface BackendChoice {
  /** `tf.getBackend()` after setup: "tensorflow" | "wasm" | "webgpu" | "cpu". */
  name: string;
  /** What was asked for. */
  requested: BackendRequest;
  /** One human line: which backend runs and why. */
  reason: string;
}

/** The exact version of every @tensorflow package this project uses. */
const TFJS_VERSION = "4.22.0";

/** Optional native bindings, tried in this order by `auto`. Never listed in deno.json. */
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/** The smallest positive normal float32; the wasm MaxPoolGrad kernel's initial maximum. */
const FLT_MIN = 1.1754943508222875e-38;

type Tensor4D = tf.Tensor4D;
type FilterShape = [number, number, number, number];
type Padding = tf.Conv2DAttrs["pad"];
type RoundingMode = tf.Conv2DAttrs["dimRoundingMode"];
type GradFunc = tf.GradConfig["gradFunc"];
type GradMap = ReturnType<GradFunc>;

/**
 * Sets up tfjs: imports what is needed, installs the gradient/kernel patches, sets and
 * readies the backend. Idempotent; calling again with another request switches.
 *
 * Throws one clear line when the request cannot be met (native binding missing, no
 * `navigator.gpu`, no read permission for the wasm binary).
 *
 * @example
 * ```ts
 * const choice = await selectBackend("auto");
 * console.log(choice.name); // "wasm" on a machine without the native binding
 * ```
 */
export async function selectBackend(request: BackendRequest): Promise<BackendChoice> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new Error(`unknown backend '${request}': use one of ${BACKEND_REQUESTS.join(", ")}`);
  }
  installGradPatches();
  // Faster kernels (OpenBLAS via FFI when present) and the fused SGD: src/kernels/mod.ts.
  const kernels = installFastKernels().summary;
  quietCpuBanner();
  let reason: string;
  switch (request) {
    case "auto": {
      const native = await loadNativeBinding();
      if (native.loaded) {
        await activate("tensorflow");
        reason = `tensorflow (auto: native binding ${native.loaded} loaded)`;
      } else {
        const wasm = await activateWasm(kernels);
        reason = `wasm (auto: no native binding: ${
          native.notes.join(", ")
        }; wasm is the fastest available here, ${wasm})`;
      }
      break;
    }
    case "tensorflow": {
      const native = await loadNativeBinding();
      if (!native.loaded) {
        throw new Error(
          `backend 'tensorflow' unavailable: the native binding is not installed (${
            native.notes.join(", ")
          }); install it with \`npm install @tensorflow/tfjs-node\` on a machine that can ` +
            `download libtensorflow, or use --backend wasm`,
        );
      }
      await activate("tensorflow");
      reason = `tensorflow (requested; native binding ${native.loaded})`;
      break;
    }
    case "wasm":
      reason = `wasm (requested; ${await activateWasm(kernels)})`;
      break;
    case "webgpu":
      reason = `webgpu (requested; ${await activateWebGpu()})`;
      break;
    case "cpu":
      await activate("cpu");
      reason = `cpu (requested; plain JavaScript kernels: correct but slow; ${kernels})`;
      break;
  }
  return { name: tf.getBackend(), requested: request, reason };
}

/** Sets a backend and waits until it is ready; one clear line if it cannot start. */
async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    throw new Error(`backend '${name}' failed to initialise: ${firstLine(err)}`);
  }
  if (!ok) throw new Error(`backend '${name}' failed to initialise (see the tfjs warning above)`);
  await tf.ready();
}

/** Starts wasm (after checking it may read its binary) and describes its configuration. */
async function activateWasm(kernels: string): Promise<string> {
  checkWasmReadable();
  await activate("wasm");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = getThreadsCount();
  return `${threads} thread${threads === 1 ? "" : "s"}, SIMD ${simd ? "on" : "off"}; ${kernels}`;
}

/**
 * The wasm backend reads `tfjs-backend-wasm-simd.wasm` from node_modules with `fs`, which
 * Deno only allows with `--allow-read`. Without this check tfjs prints a long
 * "NotCapable" stack trace and `setBackend` merely returns false.
 */
function checkWasmReadable(): void {
  if (typeof Deno === "undefined") return;
  let dist: URL;
  try {
    dist = new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  } catch {
    return; // not resolvable to a file: let tfjs report whatever goes wrong
  }
  if (dist.protocol !== "file:") return;
  const { state } = Deno.permissions.querySync({ name: "read", path: dist });
  if (state !== "granted") {
    throw new Error(
      `backend 'wasm' needs read access to its .wasm file in ${
        decodeURIComponent(dist.pathname)
      }: run deno with --allow-read (e.g. --allow-read=node_modules), or use --backend cpu`,
    );
  }
}

/** The part of the WebGPU API used here (typed locally so no DOM types are needed). */
interface GpuLike {
  requestAdapter(): Promise<{ info?: { description?: string; vendor?: string } } | null>;
}

/** Starts the webgpu backend, failing clearly when the runtime has no usable GPU API. */
async function activateWebGpu(): Promise<string> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) {
    throw new Error(
      "backend 'webgpu' unavailable: navigator.gpu is missing in this runtime (Deno provides " +
        "it, Node does not); use --backend wasm",
    );
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      "backend 'webgpu' unavailable: navigator.gpu found no adapter (on Debian, " +
        "`apt-get install mesa-vulkan-drivers` gives a software one); use --backend wasm",
    );
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  await activate("webgpu");
  const description = adapter.info?.description || adapter.info?.vendor || "unknown";
  return `adapter "${description}"; read tensors with await t.data(), dataSync() throws here`;
}

/** What `auto`/`tensorflow` found: the package that loaded, or why none did. */
interface NativeResult {
  loaded?: string;
  notes: string[];
}

let nativeResult: Promise<NativeResult> | undefined;

/** Tries the optional native bindings once per process; later calls reuse the answer. */
function loadNativeBinding(): Promise<NativeResult> {
  nativeResult ??= tryNativePackages();
  return nativeResult;
}

async function tryNativePackages(): Promise<NativeResult> {
  const notes: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    // A computed specifier keeps `deno check`/`deno install` from resolving the package.
    const specifier = ["npm:", pkg, "@", TFJS_VERSION].join("");
    // Only import a package Deno already has: importing an absent npm: specifier makes
    // Deno download it at run time (and rewrite deno.lock), yet it could never work,
    // because Deno skips the install script that fetches libtensorflow.
    if (!isInstalled(specifier)) {
      notes.push(`${pkg} not installed`);
      continue;
    }
    try {
      await import(specifier);
    } catch (err) {
      notes.push(`${pkg} installed but its native addon did not load (${firstLine(err)})`);
      continue;
    }
    if (tf.findBackendFactory("tensorflow")) return { loaded: pkg, notes };
    notes.push(`${pkg} loaded but registered no 'tensorflow' backend`);
  }
  return { notes };
}

/**
 * Whether Deno already has an npm: specifier locally: `import.meta.resolve` maps it to a
 * file: URL inside node_modules if so, and returns it unchanged otherwise. This reads no
 * files and downloads nothing, so it needs no permissions.
 */
function isInstalled(specifier: string): boolean {
  try {
    return import.meta.resolve(specifier).startsWith("file:");
  } catch {
    return false;
  }
}

/** The first line of an error message, shortened to fit in a one-line reason. */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n", 1)[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * The cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js"
 * banner on its first write. `tf.enableProdMode()` would silence it but also hides tfjs's
 * own error checks, so instead mark that backend instance as already used.
 */
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: unknown } | null;
  if (cpu && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
}

/**
 * Runs `f` with gradient recording off, so `tf.grads` does not try to differentiate
 * through it. tfjs has no `stopGradient`: an index computation (e.g. `topk` for a kNN
 * graph) feeding `gather` inside a gradient would otherwise throw, because `TopK` has no
 * gradient. `f` must be synchronous.
 *
 * @example
 * ```ts
 * const idx = noGrad(() => tf.topk(tf.matMul(x, x, false, true), k).indices);
 * const neighbours = tf.gather(x, tf.reshape(idx, [-1])); // still differentiable in x
 * ```
 */
export function noGrad<T>(f: () => T): T {
  // The engine records ops on the tape only while gradientDepth > 0.
  const state = tf.engine().state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return f();
  } finally {
    state.gradientDepth = depth;
  }
}

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
