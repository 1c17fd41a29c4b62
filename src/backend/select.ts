/**
 * TensorFlow.js backend ("engine") selection.
 *
 * Engines: `tensorflow` (native TensorFlow C library through tfjs-node, built by
 * `deno task setup-native`: native.ts), `wasm` (single-threaded, 4 GiB heap, with the
 * project's kernels: src/kernels/), `webgpu` and `cpu` (starting each: engines.ts). The
 * training patches the JavaScript engines need live in patches/ (native uses TensorFlow's
 * own kernels and gradients).
 *
 * @example
 * ```ts
 * import { selectBackend } from "./select.ts";
 * console.log((await selectBackend("wasm")).reason);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  installFastKernels,
  installNativeKernels,
  jsKernelSummary,
  nativeKernelSummary,
} from "../kernels/mod.ts";
import { autoEngine } from "./auto_engine.ts";
import { activate, activateWasm, activateWebGpu, quietCpuBanner } from "./engines.ts";
import {
  describeNative,
  loadNative,
  type NativeLoad,
  nativeSetUp,
  SETUP_COMMAND,
} from "./native.ts";
import { installGradPatches } from "./patches/mod.ts";
import { BACKEND_REQUESTS, type BackendRequest } from "./requests.ts";

/**
 * The outcome of {@link selectBackend}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BackendChoice, selectBackend } from "./select.ts";
 * const choice: BackendChoice = await selectBackend("wasm");
 * console.log(`backend: ${choice.reason}`);
 * assert.equal(choice.name, "wasm");
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

/** Options of {@link selectBackend}. */
export interface SelectOptions {
  /** The run's profile; `auto` picks the engine the bench measured faster for it (src/backend/auto_engine.ts). */
  profile?: string;
}

/**
 * Sets up tfjs: imports what is needed, installs the gradient/kernel patches, sets and
 * readies the backend. Idempotent; calling again with another request switches.
 *
 * Throws one clear line when the request cannot be met (native binding missing, no
 * `navigator.gpu`, no read permission for the wasm binary).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "./select.ts";
 * // "auto" picks the native engine where the bench measured it faster; "wasm" runs anywhere.
 * const choice = await selectBackend("wasm");
 * console.log(choice.reason); // "wasm (requested; 1 thread, SIMD on; fast kernels, ...)"
 * assert.equal(choice.name, "wasm");
 * ```
 */
export async function selectBackend(
  request: BackendRequest,
  options: SelectOptions = {},
): Promise<BackendChoice> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new Error(`unknown backend '${request}': use one of ${BACKEND_REQUESTS.join(", ")}`);
  }
  installGradPatches();
  // Faster kernels (OpenBLAS via FFI when present) and the fused SGD: src/kernels/mod.ts.
  installFastKernels();
  quietCpuBanner();
  let reason: string;
  switch (request) {
    case "auto": {
      const policy = autoEngine(options.profile ?? "quick");
      if (policy.engine === "wasm") {
        // Not imported: loading TensorFlow costs start-up time and memory in every run.
        const built = nativeSetUp();
        reason = `wasm (auto, ${policy.why}; ${
          built
            ? `native engine set up (TensorFlow ${built.tensorflow}), not used here`
            : `no native engine, \`${SETUP_COMMAND}\` sets it up`
        }; ${await activateWasm(jsKernelSummary("wasm"))})`;
        break;
      }
      const native = await loadNative();
      if (native.package) {
        reason = `tensorflow (auto, ${policy.why}; ${await activateNative(native)})`;
      } else {
        const wasm = await activateWasm(jsKernelSummary("wasm"));
        reason = `wasm (auto: no native engine: ${
          native.notes.join(", ")
        }, \`${SETUP_COMMAND}\` sets it up; ${wasm})`;
      }
      break;
    }
    case "tensorflow": {
      const native = await loadNative();
      if (!native.package) {
        throw new Error(
          `backend 'tensorflow' unavailable: the native engine is not set up (${
            native.notes.join(", ")
          }); run \`${SETUP_COMMAND}\` (add --gpu for CUDA), or use --backend wasm`,
        );
      }
      reason = `tensorflow (requested; ${await activateNative(native)})`;
      break;
    }
    case "wasm":
      reason = `wasm (requested; ${await activateWasm(jsKernelSummary("wasm"))})`;
      break;
    case "webgpu":
      reason = `webgpu (requested; ${await activateWebGpu()})`;
      break;
    case "cpu":
      await activate("cpu");
      reason = `cpu (requested; plain JavaScript kernels: correct but slow; ${
        jsKernelSummary("cpu")
      })`;
      break;
  }
  return { name: tf.getBackend(), requested: request, reason };
}

/**
 * Activates the loaded native engine with the project's kernels over tfjs-node's own, and
 * describes it for the reason line: the engine, its library and settings, and its kernels.
 */
async function activateNative(native: NativeLoad): Promise<string> {
  installNativeKernels();
  await activate("tensorflow");
  const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
  return `native engine ${describeNative(native)}; ${nativeKernelSummary(gpu === true)}`;
}
