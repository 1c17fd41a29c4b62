/**
 * Which tfjs engine the step-equivalence suite runs on: `$IBML_STEP_BACKEND` (`wasm` by
 * default; `tensorflow` for the native engine once it is set up, or `cpu`).
 *
 * @module
 */
import { type BackendRequest, selectBackend } from "../../src/backend/mod.ts";

/**
 * The engine requested for the suite.
 *
 * @example
 * ```ts ignore
 * stepEngine(); // "wasm" unless IBML_STEP_BACKEND says otherwise
 * ```
 */
export function stepEngine(): BackendRequest {
  const v = Deno.env.get("IBML_STEP_BACKEND") || "wasm";
  if (!["wasm", "tensorflow", "cpu"].includes(v)) {
    throw new Error(`IBML_STEP_BACKEND='${v}': use wasm, tensorflow or cpu`);
  }
  return v as BackendRequest;
}

/**
 * Sets up the suite's engine and returns its name (`tf.getBackend()`).
 *
 * @example
 * ```ts ignore
 * const engine = await useStepEngine(); // "wasm"
 * ```
 */
export async function useStepEngine(): Promise<string> {
  return (await selectBackend(stepEngine())).name;
}
