/**
 * The Slurm launcher against a real Slurm (start a one-node one with .ci/start_slurm.sh):
 * a small experiment as a job array plus its report job, a failed task in `--status`, a
 * rerun that submits only the unfinished run, and the report bit for bit equal to the
 * one of `--launcher local`. Without Slurm the test is skipped with one line, except
 * under CI=true, where a missing Slurm is a failure.
 */
import assert from "node:assert/strict";
import { readSubmissions, slurmStateDir, waitForJobs } from "../src/runner/slurm.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CI = Deno.env.get("CI") === "true";
/** Each reproduce call and each wait is bounded by this (ms). */
const STEP_TIMEOUT_MS = 8 * 60 * 1000;

async function slurmProblem(): Promise<string | null> {
  try {
    const r = await new Deno.Command("scontrol", {
      args: ["ping"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const dec = new TextDecoder();
    const text = (dec.decode(r.stdout) + dec.decode(r.stderr)).trim().split("\n")[0];
    if (r.code !== 0 || !/UP/.test(text)) {
      return `slurmctld does not answer (scontrol ping: ${text})`;
    }
  } catch {
    return "sbatch/scontrol are not on the PATH";
  }
  return null;
}

async function reproduce(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--no-liftoff", MAIN, "reproduce", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

function experiment(brokenSet: string): string {
  return [
    "title: Slurm launcher test",
    "methods:",
    "  - concat",
    "  - ibml",
    "  - name: sum-variant",
    "    method: sum",
    `    sets: [${brokenSet}]`,
    "datasets: [crema-d]",
    "seeds: [0]",
    "profiles:",
    "  quick:",
    "    epochs: 1",
    "    sets: [data.train_size=240, data.test_size=120]",
    "  paper: {}",
    "report:",
    "  kind: ratio-table",
    "",
  ].join("\n");
}

const problem = await slurmProblem();
if (problem !== null && !CI) {
  console.log(`slurm_test: skipped: ${problem}; start a one-node Slurm with .ci/start_slurm.sh`);
}

Deno.test({
  name:
    "slurm: job array + report job, failure in --status, rerun submits only it, report equals local",
  ignore: problem !== null && !CI,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    if (problem !== null) throw new Error(`CI=true but Slurm is not usable: ${problem}`);
    const dir = await Deno.makeTempDir({ prefix: "ibml-slurm-test-" });
    const file = `${dir}/slurmmini.yaml`;
    const slurmOut = `${dir}/slurm`;
    const localOut = `${dir}/local`;
    const stateDir = slurmStateDir(slurmOut, "slurmmini");
    try {
      // 1. Three runs as an array; the variant's learning rate makes its loss NaN: its task fails.
      await Deno.writeTextFile(file, experiment("train.lr=1e30"));
      const first = await reproduce([file, "--launcher", "slurm", "--out", slurmOut]);
      assert.equal(first.code, 1, first.err);
      assert.match(first.err, /submitted 3 runs as job array (\d+) .* and report job (\d+)/);
      assert.match(first.err, /cancel: scancel \d+ \d+/);
      assert.match(first.err, /sum-variant__crema-d__s0: exit code 1; log /);
      const subs1 = await readSubmissions(stateDir);
      assert.equal(subs1.length, 1);
      assert.deepEqual(subs1[0].tasks, [
        "concat__crema-d__s0",
        "ibml__crema-d__s0",
        "sum-variant__crema-d__s0",
      ]);
      assert.match(await Deno.readTextFile(subs1[0].script), /^#SBATCH --array=0-2$/m);

      // 2. --status: two done, the failed task with its log path and last lines.
      const status = await reproduce([file, "--status", "--out", slurmOut]);
      assert.equal(status.code, 0, status.err);
      assert.match(status.out, /^done +concat__crema-d__s0 /m);
      assert.match(status.out, /^done +ibml__crema-d__s0 /m);
      assert.match(
        status.out,
        new RegExp(
          `^failed +sum-variant__crema-d__s0 +Slurm job ${subs1[0].arrayJob}_2 exit code`,
          "m",
        ),
      );
      assert.match(status.out, /log \S+\/runs\/\.logs\/slurmmini\/sum-variant__crema-d__s0\.log/);
      assert.match(status.out, /training loss is NaN in epoch 1/);
      assert.match(status.out, /3 runs: 2 done, 0 running, 1 failed, 0 pending/);

      // 3. A rerun submits only the unfinished run: the dry run shows a one-task array...
      const dry = await reproduce([file, "--launcher", "slurm", "--dry-run", "--out", slurmOut]);
      assert.equal(dry.code, 0, dry.err);
      assert.match(dry.out, /^#SBATCH --array=0-0$/m);
      assert.match(dry.out, /RUN_ID=sum-variant__crema-d__s0/);
      assert.doesNotMatch(dry.out, /RUN_ID=concat__/);
      assert.equal((await readSubmissions(stateDir)).length, 1, "a dry run submits nothing");

      // ... and with the learning rate fixed, the real rerun submits one task; without waiting, the
      // report job alone writes the report.
      await Deno.writeTextFile(file, experiment("train.lr=0.01"));
      await Deno.remove(`${slurmOut}/tables`, { recursive: true });
      // The array is submitted held (--slurm-opt hold) so that it is pending for sure.
      const rerun = await reproduce([
        file,
        "--launcher",
        "slurm",
        "--no-wait",
        "--slurm-opt",
        "hold",
        "--out",
        slurmOut,
      ]);
      assert.equal(rerun.code, 0, rerun.err);
      assert.match(rerun.err, /submitted 1 runs as job array/);
      const subs2 = await readSubmissions(stateDir);
      assert.equal(subs2.length, 2);
      assert.deepEqual(subs2[1].tasks, ["sum-variant__crema-d__s0"]);
      assert.match(await Deno.readTextFile(subs2[1].script), /^#SBATCH --hold$/m);
      // While it is queued: --status says pending (with Slurm's reason), and another
      // submission does not submit it again.
      const queued = await reproduce([file, "--status", "--out", slurmOut]);
      assert.match(
        queued.out,
        new RegExp(
          `^pending +sum-variant__crema-d__s0 +Slurm job ${
            subs2[1].arrayJob
          }_0 pending \\(JobHeldUser\\)`,
          "m",
        ),
      );
      const twice = await reproduce([file, "--launcher", "slurm", "--no-wait", "--out", slurmOut]);
      assert.equal(twice.code, 0, twice.err);
      assert.match(twice.err, /already queued: sum-variant__crema-d__s0 as job \d+_0 \(pending\)/);
      assert.equal((await readSubmissions(stateDir)).length, 2, "nothing submitted twice");
      const release = await new Deno.Command("scontrol", {
        args: ["release", subs2[1].arrayJob],
        stdout: "null",
      }).output();
      assert.equal(release.code, 0, "scontrol release");
      const finished = await waitForJobs([subs2[1].arrayJob, subs2[1].reportJob], {
        pollMs: 1000,
        signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
      });
      assert.ok(finished, "the array and report jobs did not end in time");
      const reportLog = await Deno.readTextFile(`${stateDir}/report-${subs2[1].reportJob}.out`);
      assert.match(reportLog, /wrote \S+\/tables\/slurmmini\.md/);

      // 4. The same experiment with the local launcher: the same report, bit for bit.
      const local = await reproduce([
        file,
        "--launcher",
        "local",
        "--jobs",
        "2",
        "--out",
        localOut,
      ]);
      assert.equal(local.code, 0, local.err);
      for (const ext of ["md", "csv", "tex"]) {
        const a = await Deno.readTextFile(`${slurmOut}/tables/slurmmini.${ext}`);
        const b = await Deno.readTextFile(`${localOut}/tables/slurmmini.${ext}`);
        assert.ok(
          a === b,
          `tables/slurmmini.${ext} differs between the launchers:\n${a}\n---\n${b}`,
        );
      }
      const again = await reproduce([file, "--status", "--out", slurmOut]);
      assert.match(again.out, /3 runs: 3 done, 0 running, 0 failed, 0 pending/);
    } finally {
      // Leave no job behind on failure.
      const ids = (await readSubmissions(stateDir)).flatMap((s) => [s.arrayJob, s.reportJob]);
      if (ids.length) {
        await new Deno.Command("scancel", { args: ids, stdout: "null", stderr: "null" }).output()
          .catch(() => {});
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
