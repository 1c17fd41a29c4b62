/**
 * The launcher flags of `reproduce` (`--launcher local|slurm`, `--slurm-opt KEY=VALUE`,
 * `--array-limit N`, `--report-only`) and the plan runners they select for
 * {@linkcode runExperiment}'s `launch` option: the local sweep (the default), Slurm job
 * arrays (slurm_launcher.ts), or nothing at all (the report from the existing records,
 * which is what the Slurm report job runs).
 *
 * @module
 */
import type { Experiment, Profile, SlurmOptionMap } from "../experiment/types.ts";
import { UsageError } from "./usage_error.ts";
import { positiveInt } from "./flag_values.ts";
import type { PlannedRun } from "./plan.ts";
import { launchSlurm, type SlurmLaunchOptions } from "./slurm_launcher.ts";
import { parseSlurmOpts, resolveSlurmOptions } from "./slurm_options.ts";
import { type SweepResult, sweepResultOf } from "./sweep.ts";

/** Launchers of `reproduce`. */
export const LAUNCHERS = ["local", "slurm"] as const;

/** A launcher choice from the flags. */
export interface LauncherChoice {
  /** Which launcher. */
  kind: (typeof LAUNCHERS)[number];
  /** `sbatch` options (Slurm). */
  options: SlurmOptionMap;
  /** Extra `#SBATCH` lines from the experiment (Slurm). */
  extra: string[];
  /** At most this many array tasks at once (Slurm). */
  arrayLimit?: number;
}

/**
 * Validates the launcher flags: `--slurm-opt` and `--array-limit` need `--launcher slurm`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLauncherFlags } from "./launcher.ts";
 * import { parseExperiment } from "../experiment/schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat]\ndatasets: [crema-d]\nseeds: [0]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "demo.yaml",
 * );
 * assert.equal(parseLauncherFlags({}, exp, "quick").kind, "local");
 * const slurm = parseLauncherFlags({ launcher: "slurm", slurmOpt: ["partition=gpu"] }, exp, "paper");
 * assert.equal(slurm.kind, "slurm");
 * assert.equal(slurm.options.partition, "gpu");
 * ```
 */
export function parseLauncherFlags(
  raw: { launcher?: string; slurmOpt?: string[]; arrayLimit?: string },
  exp: Experiment,
  profile: Profile,
): LauncherChoice {
  const kind = raw.launcher ?? "local";
  if (kind !== "local" && kind !== "slurm") {
    throw new UsageError(
      `--launcher must be one of ${LAUNCHERS.join(", ")} (got '${raw.launcher}')`,
    );
  }
  if (kind === "local" && (raw.slurmOpt?.length || raw.arrayLimit !== undefined)) {
    throw new UsageError(
      `--${raw.slurmOpt?.length ? "slurm-opt" : "array-limit"} needs --launcher slurm`,
    );
  }
  if (kind === "local") return { kind, options: {}, extra: [] };
  return {
    kind,
    options: resolveSlurmOptions(exp, profile, parseSlurmOpts(raw.slurmOpt ?? [])),
    extra: exp.launcher?.slurm.extra ?? [],
    arrayLimit: positiveInt("array-limit", raw.arrayLimit),
  };
}

/**
 * A plan runner that runs nothing: every run still to do is reported as not started
 * (`reproduce --report-only`, the Slurm report job).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportOnly } from "./launcher.ts";
 * import { planRuns } from "./plan.ts";
 * import { expandRuns } from "../experiment/expand.ts";
 * import { parseExperiment } from "../experiment/schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat]\ndatasets: [crema-d]\nseeds: [0]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "demo.yaml",
 * );
 * const out = await Deno.makeTempDir();
 * const plan = await planRuns(expandRuns(exp), { hash: () => "h", implemented: () => true }, { out });
 * const result = await reportOnly(plan); // trains nothing
 * assert.deepEqual(result.notStarted, ["concat__crema-d__s0"]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function reportOnly(plan: PlannedRun[]): Promise<SweepResult> {
  return Promise.resolve({
    ...sweepResultOf(plan),
    notStarted: plan.filter((r) => r.state === "todo" || r.state === "running elsewhere")
      .map((r) => r.runId),
  });
}

/**
 * The flags the Slurm report job passes to `reproduce --report-only` so that it plans
 * the same runs (profile, seeds, epochs, overrides, data root).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(reportJobFlags({ profile: "quick", seeds: 2, sets: ["train.lr=0.1"] }), ["--profile", "quick", "--seeds", "2", "--set", "train.lr=0.1"]);
 * ```
 */
export function reportJobFlags(o: {
  profile: Profile;
  seeds?: number;
  epochs?: number;
  sets: string[];
  dataRoot?: string;
}): string[] {
  const f = ["--profile", o.profile];
  if (o.seeds !== undefined) f.push("--seeds", String(o.seeds));
  if (o.epochs !== undefined) f.push("--epochs", String(o.epochs));
  for (const s of o.sets) f.push("--set", s);
  if (o.dataRoot !== undefined) f.push("--data-root", o.dataRoot);
  return f;
}

/**
 * The Slurm plan runner for {@linkcode runExperiment}'s `launch` option.
 *
 * @example
 * ```ts ignore
 * // not run: submits Slurm jobs (needs sbatch)
 * await runExperiment(exp, { deps, launch: slurmLaunch(choice, { out, experiment: exp.name, ... }) });
 * ```
 */
export function slurmLaunch(
  choice: LauncherChoice,
  opts: Omit<SlurmLaunchOptions, "options" | "extra" | "arrayLimit">,
): (plan: PlannedRun[]) => Promise<SweepResult> {
  return async (plan) =>
    (await launchSlurm(plan, {
      ...opts,
      options: choice.options,
      extra: choice.extra,
      arrayLimit: choice.arrayLimit,
    })).sweep;
}
