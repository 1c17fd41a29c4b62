/**
 * `reproduce <experiment> --status` (any launcher): where each planned run stands, from
 * the run records (done), the claim files (running, on this or another host), the Slurm
 * queue and accounting of the experiment's submissions (pending, running, failed), the
 * array tasks' exit files, and the worker logs (a local run that ended unfinished).
 * Failed runs come with their log path and last lines.
 *
 * @module
 */
import { currentHolder, describeOwner } from "./claim.ts";
import { finishedHash, type PlannedRun } from "./plan.ts";
import {
  haveSlurm,
  isTerminal,
  lastLines,
  type QueuedRun,
  queuedRuns,
  readExit,
  readSubmissions,
  sacct,
  slurmStateDir,
} from "./slurm.ts";
import { logPath } from "./sweep.ts";

/** The state `--status` reports. */
export type StatusState = "done" | "running" | "failed" | "pending" | "not implemented";

/** One run's status. */
export interface RunStatusLine {
  /** Run id. */
  runId: string;
  /** State. */
  state: StatusState;
  /** Where or why (job id, holder, exit code). */
  detail: string;
  /** Log file (failed runs). */
  log?: string;
  /** Last lines of the log (failed runs). */
  tail?: string;
}

/** Options of {@linkcode collectStatus}. */
export interface StatusOptions {
  /** Output root. */
  out: string;
  /** Experiment name. */
  experiment: string;
}

/**
 * The status of each planned run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectStatus } from "./status.ts";
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
 * const { lines } = await collectStatus(plan, { out, experiment: "demo" });
 * assert.deepEqual(lines.map((l) => [l.runId, l.state]), [["concat__crema-d__s0", "pending"]]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function collectStatus(
  plan: PlannedRun[],
  opts: StatusOptions,
): Promise<{ lines: RunStatusLine[]; notes: string[] }> {
  const notes: string[] = [];
  const stateDir = slurmStateDir(opts.out, opts.experiment);
  const submissions = await readSubmissions(stateDir);
  let queued = new Map<string, QueuedRun>();
  let accounting = new Map<string, { state: string; exitCode: string }>();
  const taskJob = new Map<string, string>();
  for (const s of submissions) s.tasks.forEach((id, i) => taskJob.set(id, `${s.arrayJob}_${i}`));
  if (submissions.length > 0) {
    if (!haveSlurm()) {
      notes.push("this experiment has Slurm submissions, but squeue is not on the PATH here");
    } else {
      try {
        queued = await queuedRuns(stateDir, submissions);
      } catch (e) {
        notes.push(`could not read the Slurm queue: ${(e as Error).message}`);
      }
      accounting = await sacct([...new Set(submissions.map((s) => s.arrayJob))]);
    }
  }
  const lines: RunStatusLine[] = [];
  for (const r of plan) {
    if (r.state === "not implemented") {
      lines.push({ runId: r.runId, state: "not implemented", detail: `method ${r.method}` });
      continue;
    }
    if (r.state === "done") {
      lines.push({ runId: r.runId, state: "done", detail: r.dir });
      continue;
    }
    const holder = currentHolder(r.dir);
    const q = queued.get(r.runId);
    if (q && !isTerminal(q.state)) {
      const running = q.state === "RUNNING" || q.state === "COMPLETING";
      lines.push({
        runId: r.runId,
        state: running ? "running" : "pending",
        detail: `Slurm job ${q.job} ${q.state.toLowerCase()}${q.reason ? ` (${q.reason})` : ""}`,
      });
      continue;
    }
    if (holder) {
      lines.push({ runId: r.runId, state: "running", detail: `held by ${describeOwner(holder)}` });
      continue;
    }
    const log = logPath(opts.out, r.experiment, r.runId);
    const exit = await readExit(stateDir, r.runId);
    const job = taskJob.get(r.runId);
    const acct = job ? accounting.get(job) : undefined;
    const slurmState = q?.state ?? acct?.state;
    if (exit) {
      lines.push({
        runId: r.runId,
        state: "failed",
        detail: exit.code === 0
          ? `Slurm job ${exit.job} exited 0 without a finished record`
          : `Slurm job ${exit.job} exit code ${exit.code} on ${exit.host} at ${exit.ended}`,
        log,
        tail: (await lastLines(log, 5)) ?? "(no log)",
      });
      continue;
    }
    if (job && slurmState && isTerminal(slurmState)) {
      const output = q?.output ?? `${stateDir}/slurm-${job}.out`;
      lines.push({
        runId: r.runId,
        state: "failed",
        detail: `Slurm job ${job} ${slurmState.toLowerCase()} without an exit status`,
        log: output,
        tail: (await lastLines(output, 5)) ?? "(no Slurm output)",
      });
      continue;
    }
    const other = await finishedHash(r.dir);
    if (other !== undefined) {
      lines.push({
        runId: r.runId,
        state: "pending",
        detail: `finished with another configuration (hash ${other}); the next sweep redoes it`,
      });
      continue;
    }
    const tail = await lastLines(log, 5);
    if (tail !== null) {
      lines.push({
        runId: r.runId,
        state: "failed",
        detail: job
          ? `Slurm job ${job} ended without a finished record`
          : "its worker ended without a finished record (failed or stopped)",
        log,
        tail,
      });
      continue;
    }
    lines.push({ runId: r.runId, state: "pending", detail: "not started" });
  }
  return { lines, notes };
}

/**
 * Renders the status: one line per run, then each failure's log and last lines, then
 * the counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatStatus([{ runId: "a__d__s0", state: "done", detail: "results/runs/t/a__d__s0" }], []), "done    a__d__s0  results/runs/t/a__d__s0\n\n1 runs: 1 done, 0 running, 0 failed, 0 pending");
 * ```
 */
export function formatStatus(lines: RunStatusLine[], notes: string[]): string {
  const w = Math.max(0, ...lines.map((l) => l.runId.length));
  const sw = Math.max(7, ...lines.map((l) => l.state.length));
  const out = lines.map((l) => `${l.state.padEnd(sw)} ${l.runId.padEnd(w)}  ${l.detail}`);
  const failed = lines.filter((l) => l.state === "failed");
  if (failed.length) {
    out.push("", "failed runs (rerun the same reproduce command to retry them):");
    for (const f of failed) {
      out.push(`  ${f.runId}: ${f.detail}; log ${f.log}`);
      for (const t of (f.tail ?? "").split("\n")) if (t.trim()) out.push(`    ${t}`);
    }
  }
  for (const n of notes) out.push(`note: ${n}`);
  const n = (s: StatusState) => lines.filter((l) => l.state === s).length;
  const ni = n("not implemented");
  out.push(
    "",
    `${lines.length} runs: ${n("done")} done, ${n("running")} running, ${n("failed")} failed, ${
      n("pending")
    } pending${ni ? `, ${ni} not implemented` : ""}`,
  );
  return out.join("\n");
}
