/**
 * ibml's own TensorFlow CPU ops (./custom_ops.cc) for the native engine: the library
 * `deno task setup-native` builds into `.native/libibml_ops.so` against the same TensorFlow
 * wheel as the tfjs-node addon. Opening it registers its ops with TensorFlow, and tfjs-node's
 * binding then runs them by name, like TensorFlow's own.
 *
 * | op | replaces | used by |
 * |---|---|---|
 * | `IbmlMaxPool2Relu` | oneDNN's max pool, then `Relu` | `reluMaxPool2` (src/models/conv.ts) |
 * | `IbmlMaxPool2ReluGrad` | `ReluGrad`, then oneDNN's pool gradient | its gradient |
 * | `IbmlApplyMomentumDecay` | `ResourceApplyGradientDescent` (the decay) + `ResourceApplyMomentum` | src/optim/native_sgd.ts |
 *
 * Each gives the same numbers bit for bit as the ops it replaces (tests/custom_ops_test.ts),
 * in one pass over memory instead of two to four, split over TensorFlow's intra-op threads
 * (bench/README.md, "ibml's own TensorFlow ops").
 *
 * Opened by {@linkcode loadCustomOps} (from `installNativeKernels`, once tfjs-node is
 * imported) on the native engine's CPU, with the fast kernels on. Without the library (a
 * setup from before it existed), without `--allow-ffi`, or with `IBML_CUSTOM_OPS=0`, the
 * stock ops run and the backend line says why.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import { nativeCpuBackend, type NodeBackendLike } from "./native_ops.ts";
import { envFlag } from "./switches.ts";

/** Where setup-native puts the library (project-relative: `.native/libibml_ops.so`). */
export const CUSTOM_OPS_URL: URL = new URL("../../.native/libibml_ops.so", import.meta.url);

/** The library's source, which setup-native compiles (and hashes, to rebuild on a change). */
export const CUSTOM_OPS_SOURCE_URL: URL = new URL("./custom_ops.cc", import.meta.url);

/** The version the library's `ibml_ops_version()` returns for this source. */
export const CUSTOM_OPS_VERSION = 1;

let state: { loaded: boolean; note: string } | undefined;

/**
 * Opens the library once; returns whether its ops are registered, and a note for the backend
 * line. Call only after tfjs-node is imported (the library links against the TensorFlow
 * framework library that tfjs-node loads).
 *
 * @example
 * ```ts
 * import { loadCustomOps } from "./custom_ops.ts";
 * // Without the native engine, do not call it; its state is read with customOpsLoaded().
 * console.log(typeof loadCustomOps); // "function"
 * ```
 */
export function loadCustomOps(): { loaded: boolean; note: string } {
  if (state) return state;
  const path = fileURLToPath(CUSTOM_OPS_URL);
  if (envFlag("IBML_CUSTOM_OPS") === "0") {
    return state = { loaded: false, note: "ibml ops off (IBML_CUSTOM_OPS=0)" };
  }
  try {
    Deno.statSync(path);
  } catch {
    return state = {
      loaded: false,
      note: "ibml ops not built (deno task setup-native builds .native/libibml_ops.so)",
    };
  }
  if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") {
    return state = { loaded: false, note: "ibml ops off (no --allow-ffi)" };
  }
  try {
    const lib = Deno.dlopen(path, { ibml_ops_version: { parameters: [], result: "i32" } });
    const version = lib.symbols.ibml_ops_version();
    if (version !== CUSTOM_OPS_VERSION) {
      // The ops are registered now, but they may not be the ones this code expects.
      return state = {
        loaded: false,
        note: `ibml ops off (.native/libibml_ops.so is version ${version}, this code needs ` +
          `${CUSTOM_OPS_VERSION}: run deno task setup-native)`,
      };
    }
    return state = { loaded: true, note: "ibml ops (max pool + ReLU, SGD with decay)" };
  } catch (e) {
    return state = {
      loaded: false,
      note: `ibml ops off (.native/libibml_ops.so: ${(e as Error).message.split("\n")[0]})`,
    };
  }
}

/**
 * Whether {@linkcode loadCustomOps} has opened the library (false before it is called).
 *
 * @example
 * ```ts
 * import { customOpsLoaded } from "./custom_ops.ts";
 * console.log(customOpsLoaded()); // false unless the native engine opened the library
 * ```
 */
export function customOpsLoaded(): boolean {
  return state?.loaded ?? false;
}

/**
 * The native engine's CPU backend when the library is open there; null elsewhere (another
 * backend, a GPU, or no library).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { customOpsBackend } from "./custom_ops.ts";
 * await tf.setBackend("wasm");
 * assert.equal(customOpsBackend(), null);
 * ```
 */
export function customOpsBackend(): NodeBackendLike | null {
  return customOpsLoaded() ? nativeCpuBackend() : null;
}

/**
 * `relu(maxPool(x, 2, 2))` ("valid": odd last rows and columns are dropped) as one op, and
 * the byte per output that its gradient reads: which of the window's four cells was the
 * maximum (the first in row order), or 255 where the output is not positive. Null unless
 * {@linkcode customOpsBackend} is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { customMaxPool2Relu } from "./custom_ops.ts";
 * await tf.setBackend("wasm");
 * assert.equal(customMaxPool2Relu(tf.ones([1, 4, 4, 1]) as tf.Tensor4D), null); // native only
 * ```
 */
export function customMaxPool2Relu(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor] | null {
  const be = customOpsBackend();
  if (!be || x.dtype !== "float32") return null;
  const [y, argmax] = be.executeMultipleOutputs("IbmlMaxPool2Relu", [], [x], 2);
  return [y as tf.Tensor4D, argmax];
}

/**
 * The gradient of {@linkcode customMaxPool2Relu} with respect to its input of height `h` and
 * width `w`: each output's gradient `dy` goes to its window's maximum where the output was
 * positive; every other cell gets 0. Call it only where {@linkcode customMaxPool2Relu} ran.
 */
export function customMaxPool2ReluGrad(
  dy: tf.Tensor,
  argmax: tf.Tensor,
  h: number,
  w: number,
): tf.Tensor4D {
  const be = customOpsBackend();
  if (!be) throw new Error("customMaxPool2ReluGrad: ibml's ops are not open on this backend");
  const int = be.binding.TF_ATTR_INT;
  return be.executeSingleOutput("IbmlMaxPool2ReluGrad", [
    { name: "in_height", type: int, value: h },
    { name: "in_width", type: int, value: w },
  ], [dy, argmax]) as tf.Tensor4D;
}
