/**
 * `main.ts run --method M --dataset D [--profile quick|paper] [--epochs N] [--seed S]
 *  [--set key=value ...] [--out DIR] [--backend B] [--data-root DIR] [--tensorboard DIR]`:
 *  train one run (`--tensorboard`: per-epoch scalars for TensorBoard, native engine only).
 *
 * @module
 */
import { BACKEND_REQUESTS, type BackendRequest } from "../backend/requests.ts";
import { RunHeldError, runOne } from "../runner/run_one.ts";
import { PARENT_PID_ENV, watchParents } from "../runner/parent_watch.ts";
import { defaultOut } from "../runner/permissions.ts";
import { TENSORBOARD_ENV } from "../runner/tensorboard.ts";
import type { Profile } from "../config/types.ts";
import { resolveConfig } from "../resolve/resolve_config.ts";
import { runCommand, UsageError } from "./command.ts";
import { integerFlag } from "../runner/flag_values.ts";

const SPEC = {
  usage:
    "usage: main.ts run --method M --dataset D [--profile quick|paper] [--epochs N] [--seed S] [--set key=value ...] [--out DIR] [--backend auto|tensorflow|wasm|webgpu|cpu] [--data-root DIR] [--cache-dir DIR] [--tensorboard DIR]",
  options: {
    method: { type: "string" },
    dataset: { type: "string" },
    profile: { type: "string" },
    epochs: { type: "string" },
    seed: { type: "string" },
    set: { type: "string", multiple: true },
    out: { type: "string" },
    backend: { type: "string" },
    "data-root": { type: "string" },
    "cache-dir": { type: "string" },
    experiment: { type: "string" },
    "run-id": { type: "string" },
    tensorboard: { type: "string" },
    variant: { type: "string" },
  },
  negativeValues: ["epochs", "seed"],
} as const;

/** A worker started by a sweep stops when the sweep is gone (parent_watch.ts). */
function stopWithParent(): void {
  let parent: string | undefined;
  try {
    parent = Deno.env.get(PARENT_PID_ENV);
  } catch {
    return;
  }
  if (!parent) return;
  watchParents(() => {
    console.error(
      "error: the sweep that started this run is gone; stopping (finished epochs are kept in the checkpoint)",
    );
    Deno.exit(143);
  });
}

/**
 * Entry point of `run`; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./run.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage line; a real run trains
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ values: v }) => {
    if (!v.method) throw new UsageError(`--method is required\n${SPEC.usage}`);
    if (!v.dataset) throw new UsageError(`--dataset is required\n${SPEC.usage}`);
    const backend = (v.backend ?? "auto") as BackendRequest;
    if (!BACKEND_REQUESTS.includes(backend)) {
      throw new UsageError(
        `unknown backend '${v.backend}'. Valid backends: ${BACKEND_REQUESTS.join(", ")}`,
      );
    }
    const config = resolveConfig({
      method: v.method,
      dataset: v.dataset,
      profile: v.profile as Profile | undefined,
      epochs: integerFlag("epochs", v.epochs, 1),
      seed: integerFlag("seed", v.seed, 0),
      sets: v.set ?? [],
      dataRoot: v["data-root"],
    });
    stopWithParent();
    let outcome;
    try {
      outcome = await runOne({
        config,
        out: v.out ?? defaultOut(),
        experiment: v.experiment,
        runId: v["run-id"],
        variant: v.variant ?? null,
        cacheDir: v["cache-dir"],
        tensorboard: v.tensorboard ?? (Deno.env.get(TENSORBOARD_ENV) || undefined),
        backend,
        log: (line) => console.error(line),
      });
    } catch (e) {
      if (!(e instanceof RunHeldError)) throw e;
      // Contract (run_one.ts): a run another process holds is not an error.
      console.log(`${e.message}; not started here`);
      return 0;
    }
    const s = outcome.summary;
    if (outcome.skipped) console.error(`already done (same config): ${outcome.dir}`);
    const fmt = (
      x: number | null | undefined,
    ) => (x === null || x === undefined ? "-" : (100 * x).toFixed(2));
    const mods = s.modalities.map((m) => `${m} ${fmt(s.final[m])}`).join("  ");
    console.log(
      `final: fusion ${fmt(s.final.fusion)}  ${mods}  ratio_mean ${
        s.ratio_mean === null ? "-" : s.ratio_mean.toFixed(3)
      }`,
    );
    console.log(
      `best (epoch ${s.best.epoch}, selected on ${s.selected_on}): fusion ${fmt(s.best.fusion)}  ${
        s.modalities.map((m) => `${m} ${fmt(s.best[m])}`).join("  ")
      }`,
    );
    console.log(`run folder: ${outcome.dir}`);
    return 0;
  });
}
