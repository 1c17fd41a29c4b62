/**
 * Trainable parameters with the metadata methods need for gradient surgery: which
 * group (encoder of a modality, or a head) a tensor belongs to and what kind it is.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng.ts";

/** Kind of parameter: OGM-GE, for example, modulates only weight kernels (rank >= 2). */
export type ParamKind = "kernel" | "bias" | "norm";

/** One trainable tensor. */
export interface Param {
  /** Logical name, unique within a model, e.g. `encoder.audio.0.kernel`. */
  name: string;
  /** Group: `encoder.<modality>` or `head` (or a method-specific head name). */
  group: string;
  /** Kind (kernel, bias, norm scale/offset). */
  kind: ParamKind;
  /** The tfjs variable. */
  variable: tf.Variable;
}

let counter = 0;

/**
 * Creates a trainable parameter from host values. tfjs variable names are global, so
 * the variable gets a unique suffix; `name` stays the logical one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "../backend/select.ts";
 * import { makeParam } from "./params.ts";
 * await selectBackend("wasm");
 * const p = makeParam("head.bias", "head", "bias", new Float32Array(6), [6]);
 * assert.deepEqual([p.name, p.variable.shape], ["head.bias", [6]]);
 * ```
 */
export function makeParam(
  name: string,
  group: string,
  kind: ParamKind,
  values: Float32Array,
  shape: number[],
): Param {
  const init = tf.tensor(values, shape, "float32");
  const variable = tf.variable(init, true, `${name}#${counter++}`);
  init.dispose(); // the variable holds the data alone (updates may then write it in place)
  return { name, group, kind, variable };
}

/**
 * Xavier-normal values (std = sqrt(2 / (fan_in + fan_out))), the official code's linear init.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../rng.ts";
 * import { xavierNormal } from "./params.ts";
 * assert.equal(xavierNormal(new Rng(1), 4, 3).length, 12);
 * ```
 */
export function xavierNormal(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  return rng.normalArray(fanIn * fanOut, Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * Kaiming-normal values with fan-out mode for ReLU (std = sqrt(2 / fan_out)), the official
 * conv init.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../rng.ts";
 * import { kaimingNormalFanOut } from "./params.ts";
 * // a 3 x 3 conv kernel from 1 to 16 channels: 144 values, fan-out 3 * 3 * 16
 * assert.equal(kaimingNormalFanOut(new Rng(1), 3 * 3 * 1 * 16, 16, 3 * 3 * 16).length, 144);
 * ```
 */
export function kaimingNormalFanOut(
  rng: Rng,
  size: number,
  _outChannels: number,
  fanOut: number,
): Float32Array {
  return rng.normalArray(size, Math.sqrt(2 / fanOut));
}

/**
 * Disposes the variables of a parameter list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { Linear } from "./linear.ts";
 * import { disposeParams } from "./params.ts";
 * await selectBackend("wasm");
 * const fc = new Linear("head", "head", 8, 6, new Rng(0));
 * disposeParams(fc.params());
 * assert.ok(fc.params().every((p) => p.variable.isDisposed));
 * ```
 */
export function disposeParams(params: Param[]): void {
  for (const p of params) p.variable.dispose();
}

/**
 * Total number of scalar values in a parameter list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { Linear } from "./linear.ts";
 * import { countParams } from "./params.ts";
 * await selectBackend("wasm");
 * assert.equal(countParams(new Linear("head", "head", 8, 6, new Rng(0)).params()), 8 * 6 + 6);
 * // e.g. 11170240 for the audio ResNet18
 * ```
 */
export function countParams(params: Param[]): number {
  return params.reduce((s, p) => s + p.variable.size, 0);
}
