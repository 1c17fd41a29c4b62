/**
 * The planner's default dependencies: config hashes exactly as `main.ts run` computes
 * them (`resolveConfig` + `configHash`) and the method registry.
 *
 * @module
 */
import { hasMethod } from "../methods/registry.ts";
import { configHash, resolveConfig } from "../train/config.ts";
import type { PlanDeps } from "./plan.ts";

/**
 * Plan dependencies backed by the trainer's configuration and the method registry.
 *
 * @example
 * ```ts ignore
 * const plan = await planRuns(expandRuns(exp), trainerDeps(), { out: "results" });
 * ```
 */
export function trainerDeps(): PlanDeps {
  return {
    hash: (run, dataRoot) =>
      configHash(resolveConfig({
        method: run.method,
        dataset: run.dataset,
        profile: run.profile,
        seed: run.seed,
        epochs: run.epochs,
        sets: run.sets,
        dataRoot,
      })),
    implemented: (method) => hasMethod(method),
  };
}
