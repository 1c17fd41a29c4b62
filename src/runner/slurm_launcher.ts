/**
 * The Slurm launcher of `reproduce --launcher slurm`: the plan's pending runs become one
 * job array (task i runs `main.ts run` for the i-th run on the shared results folder), an
 * aggregation job (`--dependency=afterany:<array>`) writes the report, and, unless told
 * not to, the launcher waits for both and returns a {@linkcode SweepResult} like the local
 * sweep's. Runs already queued by an earlier submission, or held by a live process
 * (their claim, claim.ts), are not submitted again. Nothing is scheduled here: Slurm does it.
 *
 * @module
 */
import { resolve } from "node:path";
import type { SlurmOptionMap } from "../experiment/types.ts";
import type { PlannedRun } from "./plan.ts";
import { finishedHash } from "./plan.ts";
import {
  isTerminal,
  lastLines,
  type QueuedRun,
  queuedRuns,
  readExit,
  recordSubmission,
  requireSbatch,
  sbatch,
  slurmStateDir,
  type Submission,
  waitForJobs,
} from "./slurm.ts";
import { reportJobOptions, sbatchLines } from "./slurm_options.ts";
import { arrayScript, reportScript, shellQuote } from "./slurm_script.ts";
import { logPath, type SweepResult, sweepResultOf } from "./sweep.ts";
import { defaultWorker, runArgs, type WorkerFlags } from "./worker.ts";
import { currentHolder, describeOwner } from "./claim.ts";
import { UsageError } from "./usage_error.ts";
import { hugePagesEnv } from "../backend/huge_pages.ts";
import { PROJECT_ROOT } from "./permissions.ts";

/** Options of {@linkcode launchSlurm}. */
export interface SlurmLaunchOptions extends WorkerFlags {
  /** Experiment name (folder names). */
  experiment: string;
  /** The experiment file, passed to the report job. */
  experimentFile: string;
  /** Flags of the report job's `reproduce` besides the experiment, `--out` and `--report-only`. */
  reportFlags: string[];
  /** `sbatch` options (see slurm_options.ts). */
  options: SlurmOptionMap;
  /** Extra `#SBATCH` lines. */
  extra?: string[];
  /** At most this many array tasks at once. */
  arrayLimit?: number;
  /** Print the scripts instead of submitting them. */
  dryRun?: boolean;
  /** Wait for the jobs (default true). */
  wait?: boolean;
  /** Queue polling interval while waiting, ms (default 5000). */
  pollMs?: number;
  /** Stop waiting on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
  /** Script output for `dryRun` (stdout). */
  print?: (text: string) => void;
}

/** What {@linkcode launchSlurm} did besides the sweep result. */
export interface SlurmLaunch {
  /** The sweep result (runs submitted and not finished are `notStarted` without waiting). */
  sweep: SweepResult;
  /** The submission, when one was made. */
  submission?: Submission;
  /** Runs not submitted because an earlier submission still has them queued. */
  alreadyQueued: { runId: string; job: string; state: string }[];
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/**
 * Submits (or, with `dryRun`, prints) the plan's pending runs as a Slurm job array plus
 * its report job, and waits for them unless `wait` is false.
 *
 * @example
 * ```ts ignore
 * // not run: submits the runs as a Slurm job array (runs sbatch)
 * const r = await launchSlurm(plan, { out: "results", experiment: "table5", ... });
 * r.sweep.failed.length;
 * ```
 */
export async function launchSlurm(
  plan: PlannedRun[],
  opts: SlurmLaunchOptions,
): Promise<SlurmLaunch> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const print = opts.print ?? ((t: string) => console.log(t));
  const out = resolve(opts.out);
  if (/\s/.test(out)) {
    throw new UsageError(
      `--launcher slurm: the --out folder '${out}' contains a space, which #SBATCH lines cannot hold; choose another --out`,
    );
  }
  const flags: WorkerFlags = {
    out,
    backend: opts.backend,
    dataRoot: opts.dataRoot ? resolve(opts.dataRoot) : undefined,
    cacheDir: opts.cacheDir ? resolve(opts.cacheDir) : undefined,
  };
  const stateDir = slurmStateDir(out, opts.experiment);
  if (!opts.dryRun) requireSbatch();

  const result = sweepResultOf(plan);
  const queued = opts.dryRun ? new Map<string, QueuedRun>() : await queuedRuns(stateDir);
  const alreadyQueued: SlurmLaunch["alreadyQueued"] = [];
  const todo: PlannedRun[] = [];
  for (const r of plan) {
    if (r.state === "running elsewhere") {
      result.elsewhere.push({ runId: r.runId, holder: describeOwner(currentHolder(r.dir)) });
      continue;
    }
    if (r.state !== "todo") continue;
    const q = queued.get(r.runId);
    if (q && !isTerminal(q.state)) {
      alreadyQueued.push({ runId: r.runId, job: q.job, state: q.state });
      continue;
    }
    todo.push(r);
  }
  const queuedOutputs = new Map<string, string>(
    alreadyQueued.map((q) => [q.runId, queued.get(q.runId)!.output]),
  );
  for (const q of alreadyQueued) {
    log(
      `already queued: ${q.runId} as job ${q.job} (${q.state.toLowerCase()}); not submitted again`,
    );
  }

  const worker = defaultWorker(flags);
  // How the user names the experiment again: its name when it is one of experiments/.
  const experimentArg = resolve(opts.experimentFile) ===
      resolve(`${PROJECT_ROOT}/experiments/${opts.experiment}.yaml`)
    ? opts.experiment
    : shellQuote(opts.experimentFile);
  const main = `${PROJECT_ROOT}/main.ts`;
  if (worker.prefix.at(-1) !== "run" || !worker.prefix.at(-2)?.endsWith("main.ts")) {
    throw new Error(`unexpected worker command: ${worker.prefix.join(" ")}`);
  }
  // Tasks start where the sweep was started, as local workers do (relative paths in
  // --set or npz: datasets mean the same); --out, logs and scripts are absolute.
  const cwd = Deno.cwd();
  const chdir = /\s/.test(cwd) ? PROJECT_ROOT : cwd;
  const jobName = `ibml-${opts.experiment}`;
  const sweepOptions = sbatchLines(opts.options, opts.extra ?? []);
  const header = `written by main.ts reproduce ${opts.experiment} --launcher slurm on ${
    new Date().toISOString()
  }`;
  const reportCommand = [
    worker.command,
    ...worker.prefix.slice(0, -2),
    main,
    "reproduce",
    resolve(opts.experimentFile),
    ...opts.reportFlags,
    "--out",
    out,
    "--report-only",
  ];
  const report = reportScript({
    jobName: `${jobName}-report`,
    command: reportCommand,
    stateDir,
    chdir,
    sbatch: sbatchLines(reportJobOptions(opts.options)),
    header,
  });

  if (todo.length === 0) {
    if (opts.dryRun) print("# nothing to submit: every run is done, queued or running elsewhere");
    else log("nothing to submit: every run is done, queued or running elsewhere");
    const waitFor = [...new Set(alreadyQueued.map((q) => q.job.split("_")[0]))];
    if (!opts.dryRun && opts.wait !== false && waitFor.length > 0) {
      await waitAndCollect(
        waitFor,
        plan,
        alreadyQueued.map((q) => q.runId),
        queuedOutputs,
        result,
        stateDir,
        out,
        opts,
        log,
      );
    } else {
      result.notStarted.push(...alreadyQueued.map((q) => q.runId));
    }
    return { sweep: result, alreadyQueued };
  }

  const tasks = todo.map((r) => ({
    runId: r.runId,
    command: [worker.command, ...worker.prefix, ...runArgs(r, flags)],
    log: logPath(out, r.experiment, r.runId),
  }));
  const script = arrayScript({
    jobName,
    tasks,
    arrayLimit: opts.arrayLimit,
    stateDir,
    chdir,
    sbatch: sweepOptions,
    header,
    env: hugePagesEnv(),
  });
  if (opts.dryRun) {
    print(`# ${stateDir}/<time>-array.sbatch (${tasks.length} tasks), submitted with: sbatch FILE`);
    print(script);
    print(
      `# ${stateDir}/<time>-report.sbatch, submitted with: sbatch --dependency=afterany:<array job> FILE`,
    );
    print(report);
    result.notStarted.push(...todo.map((r) => r.runId));
    return { sweep: result, alreadyQueued };
  }

  await Deno.mkdir(stateDir, { recursive: true });
  const t = stamp();
  const scriptPath = `${stateDir}/${t}-array.sbatch`;
  const reportPath = `${stateDir}/${t}-report.sbatch`;
  await Deno.writeTextFile(scriptPath, script);
  await Deno.writeTextFile(reportPath, report);
  const arrayJob = await sbatch(scriptPath);
  let reportJob: string;
  try {
    reportJob = await sbatch(reportPath, [`--dependency=afterany:${arrayJob}`]);
  } catch (e) {
    log(`the array job ${arrayJob} is submitted, but its report job is not`);
    throw e;
  }
  const submission: Submission = {
    arrayJob,
    reportJob,
    script: scriptPath,
    reportScript: reportPath,
    submitted: new Date().toISOString(),
    tasks: todo.map((r) => r.runId),
  };
  await recordSubmission(stateDir, submission);
  log(
    `submitted ${tasks.length} runs as job array ${arrayJob} (tasks 0-${tasks.length - 1}${
      opts.arrayLimit ? `, at most ${opts.arrayLimit} at once` : ""
    }) and report job ${reportJob} (after the array ends)`,
  );
  log(`  script: ${scriptPath}`);
  log(
    `  task output: ${stateDir}/slurm-${arrayJob}_<task>.out; run logs: ${out}/runs/.logs/${opts.experiment}/`,
  );
  log(
    `  watch:  squeue -j ${arrayJob},${reportJob}   or: main.ts reproduce ${experimentArg} ${
      opts.reportFlags.map(shellQuote).join(" ")
    } --out ${out} --status`,
  );
  log(`  cancel: scancel ${arrayJob} ${reportJob}`);
  if (opts.wait === false) {
    result.notStarted.push(...todo.map((r) => r.runId));
    result.notStarted.push(...alreadyQueued.map((q) => q.runId));
    return { sweep: result, submission, alreadyQueued };
  }
  const jobs = [arrayJob, reportJob, ...alreadyQueued.map((q) => q.job.split("_")[0])];
  await waitAndCollect(
    [...new Set(jobs)],
    plan,
    [...todo.map((r) => r.runId), ...alreadyQueued.map((q) => q.runId)],
    new Map([
      ...queuedOutputs,
      ...todo.map((r, i): [string, string] => [r.runId, `${stateDir}/slurm-${arrayJob}_${i}.out`]),
    ]),
    result,
    stateDir,
    out,
    opts,
    log,
  );
  if (result.interrupted) {
    log(
      `stopped waiting; the jobs keep running (cancel them with: scancel ${arrayJob} ${reportJob})`,
    );
  }
  return { sweep: result, submission, alreadyQueued };
}

async function waitAndCollect(
  jobs: string[],
  plan: PlannedRun[],
  runIds: string[],
  outputs: Map<string, string>,
  result: SweepResult,
  stateDir: string,
  out: string,
  opts: SlurmLaunchOptions,
  log: (line: string) => void,
): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  const signals: Deno.Signal[] = opts.handleSignals === false ? [] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  log(`waiting for jobs ${jobs.join(", ")} (Ctrl-C stops waiting; the jobs keep running)`);
  let finished: boolean;
  try {
    finished = await waitForJobs(jobs, {
      pollMs: opts.pollMs,
      signal: ac.signal,
      onChange: (line) => log(`[slurm] ${line}`),
    });
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
  const byId = new Map(plan.map((r) => [r.runId, r]));
  for (const id of runIds) {
    const run = byId.get(id)!;
    if ((await finishedHash(run.dir)) === run.configHash) {
      result.done.push(id);
      continue;
    }
    if (!finished) {
      result.notStarted.push(id);
      continue;
    }
    const exit = await readExit(stateDir, id);
    const holder = currentHolder(run.dir);
    if (holder) {
      // Its task found the run held by another process (main.ts run: "running elsewhere").
      result.elsewhere.push({ runId: id, holder: describeOwner(holder) });
      continue;
    }
    const log = logPath(out, run.experiment, id);
    const output = outputs.get(id);
    const tail = exit ? await lastLines(log, 5) : [
      "(no exit status: the task was cancelled, timed out or killed by Slurm)",
      output ? `Slurm output ${output}:` : "",
      (output ? await lastLines(output, 5) : null) ?? "",
    ].filter((l) => l).join("\n");
    result.failed.push({ runId: id, code: exit?.code ?? -1, log, tail: tail ?? "" });
  }
  result.interrupted = !finished;
}
