/**
 * Installing the fast kernels: the three sets of mod.ts's table, per backend, as the
 * switches (switches.ts) allow; and what was installed, for the backend's reason line.
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import { installFastKernels } from "./install.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * console.log(installFastKernels().summary);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasStatus, loadBlas } from "./blas.ts";
import { customOpsLoaded, loadCustomOps } from "./custom_ops.ts";
import { blasConvKernels, conv2dGradient, maxPoolGradKernel } from "./conv.ts";
import { blasBatchMatMul, untransposedBatchMatMul } from "./matmul.ts";
import { installEagerBackprop, installSharedSaves } from "./engine.ts";
import {
  nativeMatMulKernel,
  nativeReluGradKernel,
  nativeSoftmaxCrossEntropyGradKernel,
  nativeSoftmaxCrossEntropyKernel,
} from "./native_ops.ts";
import { CONV_BIAS, convBiasGradient, nativeConvBiasKernel } from "./conv_bias.ts";
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
import { sharedIdentity } from "./identity.ts";
import { current, replace } from "./replace.ts";
import { BLAS_MIN_MACS, envFlag, fastKernelsEnabled, type KernelMode } from "./switches.ts";

/**
 * What {@linkcode installFastKernels} did, per backend.
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import { type FastKernelStatus, fastKernelStatus } from "./install.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * const s: FastKernelStatus = fastKernelStatus();
 * console.log(s.mode, s.blas, s.kernels.wasm); // e.g. fast true ["Identity", "Max", ...]
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
  /**
   * What the summaries end with after the replaced kernels: the fused SGD (with shared
   * gradient saves where installed) and the BLAS status; empty when switched off.
   */
  extras: string;
}

let status: FastKernelStatus | undefined;

/** The native kernels' entries in the status that run on the CPU only. */
const CONV_BIAS_NOTE = "Conv2D + bias (oneDNN Conv2DWithBias)";
const SMALL_MATMUL_NOTE = "small 2D MatMul (TF MatMul)";
const NATIVE_CPU_ONLY = new Set([CONV_BIAS_NOTE, SMALL_MATMUL_NOTE]);

/** How a kernel set's numbers relate to the stock kernels'. */
function numericsOf(mode: KernelMode, blas: boolean): string {
  if (mode !== "fast") return "bitwise identical to the stock kernels";
  return blas
    ? "last bits differ from the stock kernels and depend on OpenBLAS"
    : "last bits differ from the stock kernels";
}

/**
 * Registers the fast kernels (idempotent; call after `installGradPatches`
 * (src/backend/patches/), whose Conv2D gradient and kernels they wrap). Returns what was
 * installed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import { installFastKernels } from "./install.ts";
 * installGradPatches();
 * const s = installFastKernels();
 * console.log(s.summary);
 * assert.equal(installFastKernels(), s); // idempotent
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
      extras: "",
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
  // The native engine: a biased convolution as oneDNN's one op (src/kernels/conv_bias.ts).
  tf.registerKernel({
    kernelName: CONV_BIAS,
    backendName: "tensorflow",
    kernelFunc: nativeConvBiasKernel,
  });
  tf.registerGradient(convBiasGradient);
  note("tensorflow", CONV_BIAS_NOTE);
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
    // The native engine: TensorFlow's SparseSoftmaxCrossEntropyWithLogits (last bits differ).
    tf.registerKernel({
      kernelName: SOFTMAX_CE,
      backendName: "tensorflow",
      kernelFunc: nativeSoftmaxCrossEntropyKernel,
    });
    tf.registerKernel({
      kernelName: SOFTMAX_CE_GRAD,
      backendName: "tensorflow",
      kernelFunc: nativeSoftmaxCrossEntropyGradKernel,
    });
    note("tensorflow", "softmax cross-entropy (TF SparseSoftmaxCrossEntropyWithLogits)");
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
  const numerics = numericsOf(mode, !!blas);
  const sgd = `fused SGD${saves ? ", shared gradient saves" : ""}`;
  const blasLine = `BLAS: ${blasStatus()}`;
  status = {
    enabled: true,
    mode,
    blas: !!blas,
    kernels,
    summary: `${mode} kernels, ${numerics} (${where}; ${sgd}${
      eager ? ", eager backprop frees on native" : ""
    }; ${blasLine})`,
    extras: `${sgd}; ${blasLine}`,
  };
  return status;
}

/**
 * The kernel part of a JS engine's reason line (`wasm` or `cpu`): the set in force and what
 * it replaces on that backend only, then the fused SGD and the BLAS status. (The native
 * engine's is {@linkcode nativeKernelSummary}.)
 *
 * @example
 * ```ts
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { jsKernelSummary } from "./install.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * const line = jsKernelSummary("wasm"); // "fast kernels, ... (wasm: Identity, ...; fused SGD ...)"
 * assert.ok(!line.includes("tensorflow:"));
 * ```
 */
export function jsKernelSummary(backend: "wasm" | "cpu"): string {
  const s = installFastKernels();
  if (!s.enabled) return s.summary;
  const ks = s.kernels[backend] ?? [];
  return `${s.mode} kernels, ${numericsOf(s.mode, s.blas)} (${
    ks.length ? `${backend}: ${ks.join(", ")}; ` : ""
  }${s.extras})`;
}

let nativeInstalled = false;

/**
 * Replaces tfjs-node's own kernels where the project has a faster one, once tfjs-node is
 * imported (its import registers its kernels, over any registered before it): small 2D
 * products as TensorFlow's `MatMul` (src/kernels/native_ops.ts, `nativeMatMulKernel`). Part of
 * the fast set: nothing with `IBML_FAST_KERNELS=0` or `exact`. Idempotent; returns whether the
 * replacements are in place.
 *
 * @example
 * ```ts
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installNativeKernels } from "./install.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * assert.equal(installNativeKernels(), false); // tfjs-node is not imported here
 * ```
 */
export function installNativeKernels(): boolean {
  if (nativeInstalled) return true;
  const s = installFastKernels();
  if (s.mode !== "fast" || !tf.getKernel("BatchMatMul", "tensorflow")) return false;
  const previous = current("BatchMatMul", "tensorflow").kernelFunc;
  replace("BatchMatMul", "tensorflow", nativeMatMulKernel(previous));
  (s.kernels.tensorflow ??= []).push(SMALL_MATMUL_NOTE);
  // ibml's own TensorFlow ops (src/kernels/custom_ops.ts), where setup-native built them.
  (s.kernels.tensorflow ??= []).push(loadCustomOps().note);
  nativeInstalled = true;
  return true;
}

/**
 * The kernel part of the native engine's reason line: the set in force, what it replaces on
 * the `tensorflow` backend (its entries of {@linkcode installFastKernels}, the small products
 * of {@linkcode installNativeKernels}, the in-place SGD of src/optim/native_sgd.ts), and the
 * TensorFlow ops the models call there whatever the set (oneDNN's max pool, `FusedBatchNormV3`).
 * On a GPU only the ops that run there are named. Since these kernels decide the last bits of
 * a native run's numbers, every native run logs them.
 *
 * @example
 * ```ts
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import assert from "node:assert/strict";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { nativeKernelSummary } from "./install.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * const line = nativeKernelSummary(false);
 * assert.match(line, /^(fast|exact|stock) kernels/);
 * assert.match(line, /FusedBatchNormV3/);
 * ```
 */
export function nativeKernelSummary(gpu: boolean): string {
  const s = installFastKernels();
  const always = gpu ? "TF FusedBatchNormV3" : "oneDNN max pool, TF FusedBatchNormV3";
  if (!s.enabled) return `${s.summary}; always: ${always}`;
  // The CPU-only ones (src/kernels/conv_bias.ts, native_ops.ts, src/optim/native_sgd.ts) step
  // aside on a GPU.
  const replaced = (s.kernels.tensorflow ?? []).filter((k) =>
    !gpu || !(NATIVE_CPU_ONLY.has(k) || k.startsWith("ibml ops"))
  );
  if (!gpu) {
    replaced.push(
      customOpsLoaded()
        ? "SGD in place (ibml ApplyMomentumDecay; TF ResourceApplyMomentum without decay)"
        : "SGD in place (TF ResourceApplyGradientDescent decay, ResourceApplyMomentum)",
    );
  }
  const numerics = numericsOf(s.mode, false); // OpenBLAS does not run on native
  return `${s.mode} kernels, ${numerics} (${replaced.join(", ")}; always: ${always})`;
}

/**
 * What {@linkcode installFastKernels} installed (installs them if not yet done).
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import { fastKernelStatus } from "./install.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * console.log(fastKernelStatus().blas); // true when OpenBLAS kernels run
 * ```
 */
export function fastKernelStatus(): FastKernelStatus {
  return installFastKernels();
}
