/**
 * TensorFlow.js backend ("engine") selection.
 *
 * Engines: `tensorflow` (native TensorFlow C library through tfjs-node, built by
 * `deno task setup-native`: src/backend/native.ts), `wasm` (single-threaded, 4 GiB heap,
 * with the project's kernels: src/kernels/), `webgpu` and `cpu`. The training patches the
 * JavaScript engines need live in src/backend/grad_patches.ts (native uses TensorFlow's own
 * kernels and gradients), {@link noGrad} in src/backend/no_grad.ts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { installFastKernels } from "./kernels/mod.ts";
import { autoEngine } from "./backend/auto_engine.ts";
import { installGradPatches } from "./backend/grad_patches.ts";
import {
  describeNative,
  firstLine,
  loadNative,
  nativeSetUp,
  SETUP_COMMAND,
} from "./backend/native.ts";

import { BACKEND_REQUESTS, type BackendRequest } from "./backend/requests.ts";

export { BACKEND_REQUESTS, type BackendRequest } from "./backend/requests.ts";
export { installGradPatches } from "./backend/grad_patches.ts";
export { noGrad } from "./backend/no_grad.ts";

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
 * const choice = await selectBackend("auto");
 * console.log(choice.name); // "wasm" on a machine without the native binding
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
  const kernels = installFastKernels().summary;
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
        }; ${await activateWasm(kernels)})`;
        break;
      }
      const native = await loadNative();
      if (native.package) {
        await activate("tensorflow");
        reason = `tensorflow (auto, ${policy.why}; native engine ${describeNative(native)})`;
      } else {
        const wasm = await activateWasm(kernels);
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
      await activate("tensorflow");
      reason = `tensorflow (requested; native engine ${describeNative(native)})`;
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

/**
 * The cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js"
 * banner on its first write. `tf.enableProdMode()` would silence it but also hides tfjs's
 * own error checks, so instead mark that backend instance as already used.
 */
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: unknown } | null;
  if (cpu && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
}
