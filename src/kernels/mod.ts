/**
 * Faster training kernels for the wasm (and cpu) backends, installed by `selectBackend`
 * after backend.ts's gradient patches. Each was chosen from a profile of the bench models
 * (bench/README.md) and is compared with the stock result by tests/kernels_test.ts.
 *
 * Three sets. The first two are pure wasm/JS, so their numbers are the same on every
 * machine; the third uses OpenBLAS where it loads, whose last bits depend on the library
 * build and the CPU. `main.ts regress` therefore runs its reference experiment with
 * `IBML_BLAS=0`, the path of a machine without the library (CI).
 *
 * **exact**: results bitwise identical to the stock kernels.
 *
 * | what | backends | how |
 * |---|---|---|
 * | `Identity` | wasm | shares the buffer (reference count) instead of copying it, as cpu does |
 * | gradient saves | wasm, cpu, tensorflow | `engine.clone` shares instead of running Identity, which copies on native (src/kernels/engine.ts) |
 * | SGD update | wasm, cpu | fused, in place (src/optim/fused_sgd.ts) |
 * | `Max` over non-innermost axes, `Equal` (broadcast), `GatherV2`, `Unpack`, `SplitV` | wasm | one pass over memory (src/kernels/tensor_ops.ts) |
 * | `Add`, `Sub`, `Multiply`, `RealDiv` of at most 4096 float32 outputs | wasm | one JS loop instead of an XNNPACK operator per call (src/kernels/tensor_ops.ts) |
 * | Relu, LeakyRelu gradients | wasm, cpu | one branch-free pass (kernel `IbmlReluGrad`) instead of 3 kernels |
 * | Relu, LeakyRelu gradients | tensorflow | TensorFlow's `ReluGrad` / `LeakyReluGrad` op (src/kernels/native_ops.ts) |
 *
 * **wasm** (deterministic, machine-independent; summation order differs from stock, so the
 * last bits of a run's numbers do):
 *
 * | what | backends | how |
 * |---|---|---|
 * | `BatchMatMul` with a transpose flag | wasm | transposes the operand explicitly so XNNPACK runs instead of a naive loop (src/kernels/matmul.ts) |
 * | `MaxPoolGrad` | wasm | one pass over the windows, first maximum wins |
 * | `Sum`, `Mean` over non-innermost axes | wasm | float32 adds in row order, no transposed copy |
 * | softmax cross-entropy (`crossEntropy` in src/optim/grads.ts) + gradient | wasm, cpu | one JS kernel each instead of ~12 composed ones (src/kernels/cross_entropy.ts) |
 *
 * **OpenBLAS** (when `libopenblas.so.0` loads): deterministic on one machine, last bits
 * depend on the library build and CPU.
 *
 * | what | backends | how |
 * |---|---|---|
 * | `BatchMatMul` (of at least `IBML_BLAS_MIN_MACS` multiply-adds, default all) | wasm, cpu | `sgemm` on the tensor memory (src/kernels/matmul.ts) |
 * | `Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter` + the Conv2D gradient | wasm, cpu | im2col + `sgemm` (src/kernels/conv.ts) |
 *
 * Switches: `IBML_FAST_KERNELS=0` keeps every stock kernel (and the op-by-op SGD);
 * `IBML_FAST_KERNELS=exact` installs only the exact set (the stock numbers, bit for bit);
 * `IBML_BLAS=0` keeps OpenBLAS out; `IBML_BLAS_MIN_MACS=N` sends only MatMuls of at least N
 * multiply-adds to it. The sets in use are part of the backend's `reason` line, which every run
 * logs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasStatus, loadBlas } from "./blas.ts";
import { blasConvKernels, conv2dGradient, maxPoolGradKernel } from "./conv.ts";
import { blasBatchMatMul, untransposedBatchMatMul } from "./matmul.ts";
import { installEagerBackprop, installSharedSaves } from "./engine.ts";
import { nativeReluGradKernel } from "./native_ops.ts";
import {
  SOFTMAX_CE,
  SOFTMAX_CE_GRAD,
  softmaxCrossEntropyGradient,
  softmaxCrossEntropyGradKernel,
  softmaxCrossEntropyKernel,
} from "./cross_entropy.ts";
import {
  equalKernel,
  gatherKernel,
  reduceKernel,
  RELU_GRAD,
  reluGradient,
  reluGradKernel,
  smallBinaryKernel,
  splitKernel,
  unpackKernel,
} from "./tensor_ops.ts";

/** Which kernel sets run: see the module documentation. */
export type KernelMode = "stock" | "exact" | "fast";

/**
 * Default smallest MatMul (batch x m x n x k multiply-adds) sent to OpenBLAS: 0, i.e. every
 * MatMul while OpenBLAS is loaded. Even the quick profile's 64 x 64 x 128 products are
 * 1.5x faster per training step through `sgemm` than through XNNPACK, which builds an
 * operator (packs the weights) per call. `IBML_BLAS_MIN_MACS` raises it, e.g. to 2^24 to
 * keep every quick-profile product on the machine-independent wasm kernels.
 *
 * @example
 * ```ts
 * BLAS_MIN_MACS; // 0
 * ```
 */
export const BLAS_MIN_MACS = 0;

/**
 * What {@linkcode installFastKernels} did, per backend.
 *
 * @example
 * ```ts ignore
 * console.log(fastKernelStatus().summary);
 * ```
 */
export interface FastKernelStatus {
  /** False when switched off by `IBML_FAST_KERNELS=0`. */
  enabled: boolean;
  /**
   * `stock`: nothing replaced; `exact`: only the bitwise-identical set; `fast`: also the
   * wasm set (and OpenBLAS where it loads).
   */
  mode: KernelMode;
  /** Whether OpenBLAS kernels are registered. */
  blas: boolean;
  /** Replaced kernels by backend name. */
  kernels: Record<string, string[]>;
  /** One line for the backend `reason`. */
  summary: string;
}

let status: FastKernelStatus | undefined;
let enabled: boolean | undefined;

function envFlag(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Whether the fast kernels and the fused SGD are switched on (`IBML_FAST_KERNELS` is not
 * `0`/`false`/`off`).
 *
 * @example
 * ```ts ignore
 * if (fastKernelsEnabled()) fusedStep(...);
 * ```
 */
export function fastKernelsEnabled(): boolean {
  if (enabled === undefined) {
    const v = envFlag("IBML_FAST_KERNELS");
    enabled = !(v === "0" || v === "false" || v === "off");
  }
  return enabled;
}

/** The kernel registered now, or a clear error (the backend must exist). */
function current(kernelName: string, backendName: string): tf.KernelConfig {
  const k = tf.getKernel(kernelName, backendName);
  if (!k) throw new Error(`fast kernels: no stock '${kernelName}' kernel on '${backendName}'`);
  return k;
}

function replace(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  const old = current(kernelName, backendName);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...old, kernelFunc });
}

/** The wasm Identity kernel of the cpu backend: one more reference to the same buffer. */
const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  if (x.dtype === "string") throw new Error("Identity: string tensors are not supported here");
  (backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Registers the fast kernels (idempotent; call after backend.ts's `installGradPatches`, whose
 * Conv2D gradient and kernels they wrap). Returns what was installed.
 *
 * @example
 * ```ts ignore
 * installGradPatches();
 * const s = installFastKernels();
 * console.log(s.summary);
 * ```
 */
export function installFastKernels(): FastKernelStatus {
  if (status) return status;
  const kernels: Record<string, string[]> = {};
  if (!fastKernelsEnabled()) {
    status = {
      enabled: false,
      mode: "stock",
      blas: false,
      kernels,
      summary: "stock kernels (IBML_FAST_KERNELS=0)",
    };
    return status;
  }
  const note = (be: string, k: string) => (kernels[be] ??= []).push(k);
  const hasWasm = !!tf.findBackendFactory("wasm");
  const hasCpu = !!tf.findBackendFactory("cpu");
  const jsBackends = [...(hasWasm ? ["wasm"] : []), ...(hasCpu ? ["cpu"] : [])];
  const exactOnly = envFlag("IBML_FAST_KERNELS") === "exact";
  const blas = exactOnly ? null : loadBlas();
  const fast = !exactOnly;
  const minMacsEnv = Number(envFlag("IBML_BLAS_MIN_MACS"));
  const minMacs = Number.isFinite(minMacsEnv) && envFlag("IBML_BLAS_MIN_MACS") !== undefined
    ? minMacsEnv
    : BLAS_MIN_MACS;

  // 1. Bitwise-identical replacements (always).
  const saves = installSharedSaves();
  const eager = installEagerBackprop();
  if (hasWasm) {
    replace("Identity", "wasm", sharedIdentity);
    replace("Max", "wasm", reduceKernel("max", current("Max", "wasm").kernelFunc));
    replace("Equal", "wasm", equalKernel(current("Equal", "wasm").kernelFunc));
    replace("GatherV2", "wasm", gatherKernel(current("GatherV2", "wasm").kernelFunc));
    replace("Unpack", "wasm", unpackKernel(current("Unpack", "wasm").kernelFunc));
    replace("SplitV", "wasm", splitKernel(current("SplitV", "wasm").kernelFunc));
    for (
      const [name, op] of [["Add", "add"], ["Sub", "sub"], ["Multiply", "mul"], [
        "RealDiv",
        "div",
      ]] as const
    ) {
      replace(name, "wasm", smallBinaryKernel(op, current(name, "wasm").kernelFunc));
    }
    for (const k of ["Identity", "Max", "Equal", "GatherV2", "Unpack", "SplitV"]) note("wasm", k);
    note("wasm", "small Add/Sub/Multiply/RealDiv");
  }
  for (const be of jsBackends) {
    tf.registerKernel({ kernelName: RELU_GRAD, backendName: be, kernelFunc: reluGradKernel });
    note(be, "Relu/LeakyRelu grad");
  }
  // The native engine: TensorFlow's own fused ReluGrad/LeakyReluGrad (src/kernels/native_ops.ts).
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: "tensorflow",
    kernelFunc: nativeReluGradKernel,
  });
  note("tensorflow", "Relu/LeakyRelu grad (TF ReluGrad)");
  const reluBackends = [...jsBackends, "tensorflow"];
  for (const k of ["Relu", "LeakyRelu"] as const) {
    tf.registerGradient(
      reluGradient(k, tf.getGradient(k), () => reluBackends.includes(tf.getBackend())),
    );
  }

  // 2. Pure wasm/JS replacements that change the summation order (machine-independent).
  if (fast && hasWasm) {
    replace("MaxPoolGrad", "wasm", maxPoolGradKernel(current("MaxPoolGrad", "wasm").kernelFunc));
    for (const [name, op] of [["Sum", "sum"], ["Mean", "mean"]] as const) {
      replace(name, "wasm", reduceKernel(op, current(name, "wasm").kernelFunc));
    }
    const transpose = current("Transpose", "wasm").kernelFunc;
    replace(
      "BatchMatMul",
      "wasm",
      untransposedBatchMatMul(current("BatchMatMul", "wasm").kernelFunc, transpose),
    );
    for (const k of ["MaxPoolGrad", "Sum", "Mean", "BatchMatMul (untransposed)"]) note("wasm", k);
  }
  if (fast) {
    for (const be of jsBackends) {
      tf.registerKernel({
        kernelName: SOFTMAX_CE,
        backendName: be,
        kernelFunc: softmaxCrossEntropyKernel,
      });
      tf.registerKernel({
        kernelName: SOFTMAX_CE_GRAD,
        backendName: be,
        kernelFunc: softmaxCrossEntropyGradKernel,
      });
      note(be, "softmax cross-entropy (fused)");
    }
    tf.registerGradient(softmaxCrossEntropyGradient);
  }

  // 3. OpenBLAS for large products and every convolution (paper backbones).
  if (blas) {
    for (const be of jsBackends) {
      replace(
        "BatchMatMul",
        be,
        blasBatchMatMul(blas, current("BatchMatMul", be).kernelFunc, minMacs),
      );
      const convs = blasConvKernels(blas, {
        conv: current("Conv2D", be).kernelFunc,
        input: current("Conv2DBackpropInput", be).kernelFunc,
        filter: current("Conv2DBackpropFilter", be).kernelFunc,
      });
      replace("Conv2D", be, convs.conv);
      replace("Conv2DBackpropInput", be, convs.input);
      replace("Conv2DBackpropFilter", be, convs.filter);
      note(be, `BatchMatMul >= ${minMacs} MACs (OpenBLAS)`);
      note(be, "Conv2D+grads (OpenBLAS)");
    }
    tf.registerGradient(
      conv2dGradient(tf.getGradient("Conv2D"), () => jsBackends.includes(tf.getBackend())),
    );
  }
  const mode: KernelMode = fast ? "fast" : "exact";
  const where = Object.entries(kernels).map(([be, ks]) => `${be}: ${ks.join(", ")}`).join("; ");
  const numerics = !fast
    ? "bitwise identical to the stock kernels"
    : blas
    ? "last bits differ from the stock kernels and depend on OpenBLAS"
    : "last bits differ from the stock kernels";
  status = {
    enabled: true,
    mode,
    blas: !!blas,
    kernels,
    summary: `${mode} kernels, ${numerics} (${where}; fused SGD${
      saves ? ", shared gradient saves" : ""
    }${eager ? ", eager backprop frees on native" : ""}; BLAS: ${blasStatus()})`,
  };
  return status;
}

/**
 * What {@linkcode installFastKernels} installed (installs them if not yet done).
 *
 * @example
 * ```ts ignore
 * fastKernelStatus().blas; // true when OpenBLAS kernels run
 * ```
 */
export function fastKernelStatus(): FastKernelStatus {
  return installFastKernels();
}
