/**
 * `sbatch` options of a Slurm sweep: the launcher's defaults (one GPU per task on the
 * paper profile), then the experiment's `launcher.slurm` block for the profile, then
 * `--slurm-opt KEY=VALUE` flags (last wins), rendered as `#SBATCH` lines.
 *
 * Keys are `sbatch` long option names (`partition`, `time`, `mem`, `account`,
 * `cpus-per-task`, `qos`, `constraint`, ...; `_` may stand for `-`), except `gpus`: the
 * number of GPUs per task, written as `--gres=gpu:N` (0 asks for none).
 *
 * @module
 */
import type { Experiment, Profile, SlurmOptionMap } from "../experiment/types.ts";
import { UsageError } from "./usage_error.ts";

/** Options the launcher sets itself, which `--slurm-opt` may not override. */
const RESERVED: Record<string, string> = {
  array: "the launcher writes one array task per pending run (limit them with --array-limit N)",
  output: "each task's output goes to <out>/runs/.slurm/<experiment>/",
  error: "each task's output goes to <out>/runs/.slurm/<experiment>/",
  dependency: "the report job depends on the array job (afterany)",
  parsable: "the launcher reads sbatch's job id itself",
  wrap: "the launcher writes its own script",
  chdir: "tasks run in the project folder",
  "job-name": "the job is named ibml-<experiment>",
};

const KEY_RE = /^[a-z][a-z0-9-]*$/;

function normKey(key: string): string {
  return key.trim().replace(/_/g, "-");
}

/**
 * Parses `--slurm-opt` values (`KEY=VALUE`, or `KEY` for an option without a value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseSlurmOpts(["partition=gpu", "cpus_per_task=4", "exclusive"]), { partition: "gpu", "cpus-per-task": "4", exclusive: null });
 * ```
 */
export function parseSlurmOpts(raw: string[]): SlurmOptionMap {
  const out: SlurmOptionMap = {};
  for (const item of raw) {
    const eq = item.indexOf("=");
    const key = normKey(eq < 0 ? item : item.slice(0, eq));
    const value = eq < 0 ? null : item.slice(eq + 1).trim();
    if (!KEY_RE.test(key)) {
      throw new UsageError(
        `--slurm-opt '${item}': expected KEY=VALUE with an sbatch long option name as KEY ` +
          `(e.g. partition=gpu, time=04:00:00, mem=16G, gpus=1, account=lab, cpus-per-task=4)`,
      );
    }
    if (key in RESERVED) {
      throw new UsageError(`--slurm-opt ${key} cannot be set: ${RESERVED[key]}`);
    }
    if (value !== null && (value === "" || /[\s'"\\`$]/.test(value))) {
      throw new UsageError(
        `--slurm-opt '${item}': the value must be non-empty, without spaces, quotes, '\\', '\`' or '$'`,
      );
    }
    if (key === "gpus" && (value === null || !/^\d+$/.test(value))) {
      throw new UsageError(
        `--slurm-opt '${item}': gpus is the number of GPUs per task (gpus=0 asks for none)`,
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * The options of a sweep: defaults (`gpus: 1` on the paper profile), the experiment's
 * `launcher.slurm` block for the profile, then the flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSlurmOptions } from "./slurm_options.ts";
 * import { parseExperiment } from "../experiment/schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat]\ndatasets: [crema-d]\nseeds: [0]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "demo.yaml",
 * );
 * const opts = resolveSlurmOptions(exp, "paper", { time: "12:00:00" });
 * assert.equal(opts.time, "12:00:00"); // a --slurm-opt wins over the experiment's launcher block
 * ```
 */
export function resolveSlurmOptions(
  exp: Experiment,
  profile: Profile,
  flags: SlurmOptionMap,
): SlurmOptionMap {
  const defaults: SlurmOptionMap = profile === "paper" ? { gpus: "1" } : {};
  return { ...defaults, ...(exp.launcher?.slurm.options[profile] ?? {}), ...flags };
}

/**
 * `#SBATCH` lines for options (`gpus: N` becomes `--gres=gpu:N`, `gpus: 0` nothing),
 * followed by the experiment's extra lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(sbatchLines({ partition: "gpu", gpus: "1", exclusive: null }), ["#SBATCH --partition=gpu", "#SBATCH --gres=gpu:1", "#SBATCH --exclusive"]);
 * ```
 */
export function sbatchLines(options: SlurmOptionMap, extra: string[] = []): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (key === "gpus") {
      if (value !== null && Number(value) > 0) lines.push(`#SBATCH --gres=gpu:${Number(value)}`);
    } else lines.push(value === null ? `#SBATCH --${key}` : `#SBATCH --${key}=${value}`);
  }
  return [...lines, ...extra];
}

/**
 * The options the report job keeps from the sweep's: where it may run (`partition`,
 * `account`, `qos`, `clusters`, `reservation`), not what one training task needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(reportJobOptions({ partition: "gpu", gpus: "1", time: "12:00:00" }), { partition: "gpu" });
 * ```
 */
export function reportJobOptions(options: SlurmOptionMap): SlurmOptionMap {
  const keep = ["partition", "account", "qos", "clusters", "reservation"];
  return Object.fromEntries(Object.entries(options).filter(([k]) => keep.includes(k)));
}
