/**
 * Starting each engine: set it, wait until it is ready, and describe it in one line, or
 * fail with one clear line when it cannot start.
 *
 * @example
 * ```ts
 * import { activateWasm } from "./engines.ts";
 * console.log(await activateWasm("stock kernels")); // "1 thread, SIMD on; stock kernels"
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { firstLine } from "./native.ts";

/**
 * Sets a backend and waits until it is ready; one clear line if it cannot start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { activate } from "./engines.ts";
 * await activate("cpu");
 * assert.equal(tf.getBackend(), "cpu");
 * ```
 */
export async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    throw new Error(`backend '${name}' failed to initialise: ${firstLine(err)}`);
  }
  if (!ok) throw new Error(`backend '${name}' failed to initialise (see the tfjs warning above)`);
  await tf.ready();
}

/**
 * Starts wasm (after checking it may read its binary) and describes its configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activateWasm } from "./engines.ts";
 * const line = await activateWasm("exact kernels");
 * console.log(line); // "1 thread, SIMD on; exact kernels"
 * assert.match(line, /^\d+ threads?, SIMD (on|off); exact kernels$/);
 * ```
 */
export async function activateWasm(kernels: string): Promise<string> {
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

/**
 * Starts the webgpu backend, failing clearly when the runtime has no usable GPU API.
 *
 * @example
 * ```ts ignore
 * // not run: needs a GPU (navigator.gpu with an adapter)
 * import { activateWebGpu } from "./engines.ts";
 * await activateWebGpu(); // 'adapter "..."; read tensors with await t.data(), dataSync() throws here'
 * ```
 */
export async function activateWebGpu(): Promise<string> {
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
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { quietCpuBanner } from "./engines.ts";
 * await tf.setBackend("cpu");
 * quietCpuBanner(); // the first tensor written no longer prints tfjs's Node.js banner
 * console.log(tf.scalar(1).dataSync()); // Float32Array [1]
 * ```
 */
export function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: unknown } | null;
  if (cpu && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
}
