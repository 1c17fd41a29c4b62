/**
 * The planner's default dependencies: run hashes exactly as `main.ts run` computes
 * them (`resolveConfig` + `runIdentity`: the config and its input files) and the method
 * registry.
 *
 * @module
 */
import { hasMethod } from "../methods/registry.ts";
import { resolveConfig } from "../resolve/resolve_config.ts";
import { runIdentity } from "./run_hash.ts";
import type { PlanDeps } from "./plan.ts";

/**
 * Plan dependencies backed by the trainer's configuration and the method registry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainerDeps } from "./defaults.ts";
 * const deps = trainerDeps();
 * assert.ok(deps.implemented("ibml"));
 * const run = { method: "concat", dataset: "crema-d", profile: "quick", seed: 0, sets: [] };
 * assert.match(deps.hash(run as never), /^[0-9a-f]+$/); // the resolved configuration's hash
 * ```
 */
export function trainerDeps(): PlanDeps {
  return {
    hash: (run, dataRoot) =>
      runIdentity(resolveConfig({
        method: run.method,
        dataset: run.dataset,
        profile: run.profile,
        seed: run.seed,
        epochs: run.epochs,
        sets: run.sets,
        dataRoot,
      })).hash,
    implemented: (method) => hasMethod(method),
  };
}
