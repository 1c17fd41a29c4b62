/**
 * The switches of the fast kernels, read from the environment: `IBML_FAST_KERNELS`
 * (`0`/`false`/`off`: stock kernels; `exact`: only the bitwise-identical set), `IBML_BLAS`
 * (blas.ts) and `IBML_BLAS_MIN_MACS`.
 *
 * @example
 * ```ts
 * import { fastKernelsEnabled } from "./switches.ts";
 * if (fastKernelsEnabled()) console.log("fast kernels on");
 * ```
 *
 * @module
 */

/** Which kernel sets run: see the table of src/kernels/mod.ts. */
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
 * import assert from "node:assert/strict";
 * import { BLAS_MIN_MACS } from "./switches.ts";
 * assert.equal(BLAS_MIN_MACS, 0);
 * ```
 */
export const BLAS_MIN_MACS = 0;

let enabled: boolean | undefined;

/**
 * An environment variable, or `undefined` when unset or not readable (no `--allow-env`).
 *
 * @example
 * ```ts
 * import { envFlag } from "./switches.ts";
 * console.log(envFlag("IBML_FAST_KERNELS")); // e.g. "exact", or undefined
 * ```
 */
export function envFlag(name: string): string | undefined {
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
 * ```ts
 * import { fastKernelsEnabled } from "./switches.ts";
 * console.log(fastKernelsEnabled() ? "fast kernels, fused SGD" : "stock (IBML_FAST_KERNELS=0)");
 * ```
 */
export function fastKernelsEnabled(): boolean {
  if (enabled === undefined) {
    const v = envFlag("IBML_FAST_KERNELS");
    enabled = !(v === "0" || v === "false" || v === "off");
  }
  return enabled;
}
