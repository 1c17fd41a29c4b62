/**
 * The two batch scripts of a Slurm sweep: a job array with one task per pending run
 * (task `i` runs `main.ts run` for the i-th run on the shared results folder, its output
 * in the run's usual log file, its exit status in `<run-id>.exit` beside the scripts),
 * and the report job, which writes the experiment's report once the array is over.
 *
 * @module
 */

/**
 * Quotes a word for bash (single quotes; a quote inside becomes `'\''`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(shellQuote("a b"), "'a b'");
 * assert.equal(shellQuote("plain-word_1.5"), "plain-word_1.5");
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=,+@%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One array task. */
export interface ArrayTask {
  /** Run id. */
  runId: string;
  /** The full command line of the task (executable first). */
  command: string[];
  /** The run's log file (absolute). */
  log: string;
}

/** What the array script needs. */
export interface ArrayScriptOptions {
  /** Job name. */
  jobName: string;
  /** The tasks, in array index order. */
  tasks: ArrayTask[];
  /** At most this many tasks at once (`%N`), or undefined for no limit. */
  arrayLimit?: number;
  /** Folder of the scripts, Slurm outputs and exit files (absolute). */
  stateDir: string;
  /** Working folder of the tasks (the project folder, absolute). */
  chdir: string;
  /** `#SBATCH` option lines. */
  sbatch: string[];
  /** First comment line (what wrote the script). */
  header: string;
  /** Variables every task exports before its command (for example the huge-page tunable). */
  env?: Record<string, string>;
}

/**
 * The job array script.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = arrayScript({
 *   jobName: "ibml-t", stateDir: "/r/runs/.slurm/t", chdir: "/p", sbatch: [], header: "test",
 *   tasks: [{ runId: "a__d__s0", command: ["/bin/deno", "run", "main.ts", "run"], log: "/r/a.log" }],
 * });
 * assert.ok(s.includes("#SBATCH --array=0-0"));
 * ```
 */
export function arrayScript(o: ArrayScriptOptions): string {
  const n = o.tasks.length;
  if (n === 0) throw new Error("arrayScript: no tasks");
  const limit = o.arrayLimit ? `%${o.arrayLimit}` : "";
  const cases = o.tasks.map((t, i) =>
    [
      `  ${i})`,
      `    RUN_ID=${shellQuote(t.runId)}`,
      `    LOG=${shellQuote(t.log)}`,
      `    CMD=(${t.command.map(shellQuote).join(" ")})`,
      `    ;;`,
    ].join("\n")
  );
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=${shellQuote(o.jobName)}`,
    `#SBATCH --array=0-${n - 1}${limit}`,
    `#SBATCH --output=${o.stateDir}/slurm-%A_%a.out`,
    `#SBATCH --chdir=${o.chdir}`,
    ...o.sbatch,
    `# ${o.header}`,
    "# One array task per pending run: task i trains the i-th run below with `main.ts run`;",
    "# its output goes to the run's log, its exit status to <state dir>/<run-id>.exit.",
    "set -u",
    "# Not this task's: a sweep's claim token and parent pid (see claim.ts, parent_watch.ts).",
    "unset IBML_RUN_CLAIM IBML_PARENT_PID",
    ...Object.entries(o.env ?? {}).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `STATE_DIR=${shellQuote(o.stateDir)}`,
    'case "${SLURM_ARRAY_TASK_ID:-}" in',
    ...cases,
    "  *)",
    '    echo "no run for array task ${SLURM_ARRAY_TASK_ID:-unset}" >&2',
    "    exit 2",
    "    ;;",
    "esac",
    'mkdir -p "$(dirname "$LOG")" "$STATE_DIR"',
    'rm -f "$STATE_DIR/$RUN_ID.exit"',
    'echo "task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname): run $RUN_ID, log $LOG"',
    '"${CMD[@]}" >"$LOG" 2>&1',
    "rc=$?",
    'printf \'{"code":%d,"job":"%s","host":"%s","ended":"%s"}\\n\' "$rc" \\',
    '  "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \\',
    '  >"$STATE_DIR/$RUN_ID.exit"',
    'echo "exit code $rc; last lines of $LOG:"',
    'tail -n 20 "$LOG"',
    'exit "$rc"',
    "",
  ].join("\n");
}

/** What the report job script needs. */
export interface ReportScriptOptions {
  /** Job name. */
  jobName: string;
  /** The report command line (executable first). */
  command: string[];
  /** Folder of the scripts and Slurm outputs (absolute). */
  stateDir: string;
  /** Working folder (the project folder, absolute). */
  chdir: string;
  /** `#SBATCH` option lines. */
  sbatch: string[];
  /** First comment line. */
  header: string;
}

/**
 * The report job's script (submitted with `--dependency=afterany:<array job>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = reportScript({
 *   jobName: "ibml-t-report", command: ["/bin/deno", "run", "main.ts", "reproduce", "t"],
 *   stateDir: "/r/runs/.slurm/t", chdir: "/p", sbatch: [], header: "test",
 * });
 * assert.ok(s.includes("--output=/r/runs/.slurm/t/report-%j.out"));
 * ```
 */
export function reportScript(o: ReportScriptOptions): string {
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=${shellQuote(o.jobName)}`,
    `#SBATCH --output=${o.stateDir}/report-%j.out`,
    `#SBATCH --chdir=${o.chdir}`,
    ...o.sbatch,
    `# ${o.header}`,
    "# Writes the experiment's report from the finished runs once the array job is over.",
    "set -u",
    "unset IBML_RUN_CLAIM IBML_PARENT_PID",
    `exec ${o.command.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}
