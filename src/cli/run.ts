/**
 * `main.ts run --method M --dataset D [--profile quick|paper] [--epochs N] [--seed S]
 *  [--set key=value ...] [--out DIR] [--backend B] [--data-root DIR]`: train one run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BACKEND_REQUESTS, type BackendRequest } from "../backend.ts";
import { runOne } from "../runner/run_one.ts";
import { type Profile, resolveConfig } from "../train/config.ts";
import { reportError, UsageError } from "./errors.ts";

const USAGE =
  "usage: main.ts run --method M --dataset D [--profile quick|paper] [--epochs N] [--seed S] [--set key=value ...] [--out DIR] [--backend auto|tensorflow|wasm|webgpu|cpu] [--data-root DIR]";

function intFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) {
    throw new UsageError(`--${name} must be a non-negative integer (got '${raw}')`);
  }
  return v;
}

/**
 * Entry point of `run`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--method", "ibml", "--dataset", "crema-d", "--epochs", "5"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args,
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
          experiment: { type: "string" },
          "run-id": { type: "string" },
          variant: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: false,
      });
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    const v = parsed.values;
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (!v.method) throw new UsageError(`--method is required\n${USAGE}`);
    if (!v.dataset) throw new UsageError(`--dataset is required\n${USAGE}`);
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
      epochs: intFlag("epochs", v.epochs),
      seed: intFlag("seed", v.seed),
      sets: v.set ?? [],
      dataRoot: v["data-root"],
    });
    const outcome = await runOne({
      config,
      out: v.out ?? "results",
      experiment: v.experiment,
      runId: v["run-id"],
      variant: v.variant ?? null,
      backend,
      log: (line) => console.error(line),
    });
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
  } catch (e) {
    return reportError(e);
  }
}
