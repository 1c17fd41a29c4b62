import assert from "node:assert/strict";
import { parseExperiment } from "../src/experiment/schema.ts";
import { UsageError } from "../src/cli/command.ts";
import {
  parseSlurmOpts,
  reportJobOptions,
  resolveSlurmOptions,
  sbatchLines,
} from "../src/runner/slurm_options.ts";

const BASE = `title: t
methods: [concat]
datasets: [crema-d]
seeds: [0]
profiles: {quick: {epochs: 2}, paper: {}}
report: {kind: ratio-table}
`;

Deno.test("slurm_options: --slurm-opt KEY=VALUE, underscores as dashes, flags without a value", () => {
  assert.deepEqual(parseSlurmOpts(["partition=gpu", "cpus_per_task=4", "exclusive", "gpus=2"]), {
    partition: "gpu",
    "cpus-per-task": "4",
    exclusive: null,
    gpus: "2",
  });
});

Deno.test("slurm_options: bad --slurm-opt values are one UsageError naming the option", () => {
  const bad: [string, RegExp][] = [
    ["array=0-3", /array cannot be set: .*--array-limit/],
    ["output=x.log", /output cannot be set/],
    ["dependency=afterok:1", /dependency cannot be set/],
    ["Part ition=x", /expected KEY=VALUE/],
    ["=gpu", /expected KEY=VALUE/],
    ["partition=", /must be non-empty/],
    ["partition=a b", /without spaces/],
    ["comment=$(rm -rf /)", /without spaces, quotes/],
    ["gpus=two", /gpus is the number of GPUs per task/],
    ["gpus", /gpus is the number of GPUs per task/],
  ];
  for (const [raw, re] of bad) {
    assert.throws(
      () => parseSlurmOpts([raw]),
      (e: Error) => e instanceof UsageError && re.test(e.message),
      raw,
    );
  }
});

Deno.test("slurm_options: one GPU per task on the paper profile by default, none on quick", () => {
  const exp = parseExperiment(BASE, "experiments/t.yaml");
  assert.deepEqual(resolveSlurmOptions(exp, "paper", {}), { gpus: "1" });
  assert.deepEqual(resolveSlurmOptions(exp, "quick", {}), {});
  assert.deepEqual(sbatchLines(resolveSlurmOptions(exp, "paper", {})), ["#SBATCH --gres=gpu:1"]);
  assert.deepEqual(sbatchLines(resolveSlurmOptions(exp, "paper", { gpus: "0" })), []);
});

Deno.test("slurm_options: the launcher block per profile, then the flags (last wins)", () => {
  const exp = parseExperiment(
    BASE +
      `launcher:
  slurm:
    partition: {quick: cpu, paper: gpu}
    time: {paper: "12:00:00"}
    mem: 16G
    gpus: {paper: 2}
    cpus_per_task: 4
    account: lab
    extra: ["--qos=high", "#SBATCH --constraint=a100"]
`,
    "experiments/t.yaml",
  );
  assert.deepEqual(exp.launcher?.slurm.extra, ["#SBATCH --qos=high", "#SBATCH --constraint=a100"]);
  const paper = resolveSlurmOptions(exp, "paper", { time: "01:00:00" });
  assert.deepEqual(paper, {
    gpus: "2",
    partition: "gpu",
    time: "01:00:00",
    mem: "16G",
    "cpus-per-task": "4",
    account: "lab",
  });
  assert.deepEqual(sbatchLines(resolveSlurmOptions(exp, "quick", {}), exp.launcher!.slurm.extra), [
    "#SBATCH --partition=cpu",
    "#SBATCH --account=lab",
    "#SBATCH --mem=16G",
    "#SBATCH --cpus-per-task=4",
    "#SBATCH --qos=high",
    "#SBATCH --constraint=a100",
  ]);
  assert.deepEqual(reportJobOptions(paper), { partition: "gpu", account: "lab" });
});

Deno.test("slurm_options: a bad launcher block names the file, line and field", () => {
  const cases: [string, RegExp][] = [
    ["launcher:\n  pbs: {}\n", /launcher\.pbs: expected one of the keys slurm/],
    ["launcher:\n  slurm: {gpus: -1}\n", /launcher\.slurm\.gpus: expected a number of GPUs/],
    ["launcher:\n  slurm: {partition: {fast: x}}\n", /launcher\.slurm\.partition\.fast/],
    ["launcher:\n  slurm: {nodes: 2}\n", /launcher\.slurm\.nodes: expected one of the keys/],
    ["launcher:\n  slurm: {extra: [qos=high]}\n", /launcher\.slurm\.extra\[0\]/],
  ];
  for (const [yaml, re] of cases) {
    assert.throws(() => parseExperiment(BASE + yaml, "experiments/t.yaml"), (e: Error) => {
      assert.match(e.message, /^experiments\/t\.yaml:\d+:\d+: /);
      return re.test(e.message);
    }, yaml);
  }
});
