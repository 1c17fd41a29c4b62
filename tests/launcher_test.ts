import assert from "node:assert/strict";
import { main } from "../src/cli/reproduce.ts";
import { parseExperiment } from "../src/experiment/schema.ts";
import { UsageError } from "../src/cli/command.ts";
import { parseLauncherFlags, reportJobFlags } from "../src/runner/launcher.ts";
import { capture } from "./fixtures/capture.ts";

const YAML = `title: launcher test
methods: [concat, sum]
datasets: [crema-d]
seeds: [0]
profiles: {quick: {epochs: 1}, paper: {}}
report: {kind: ratio-table}
launcher:
  slurm:
    partition: {quick: short}
    time: "00:20:00"
    extra: ["--qos=test"]
`;

async function withExperiment(fn: (file: string, out: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/lt.yaml`, YAML);
    await fn(`${dir}/lt.yaml`, `${dir}/out`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("launcher: local by default; Slurm flags need --launcher slurm", () => {
  const exp = parseExperiment(YAML, "experiments/lt.yaml");
  assert.equal(parseLauncherFlags({}, exp, "quick").kind, "local");
  assert.throws(() => parseLauncherFlags({ slurmOpt: ["time=1:00"] }, exp, "quick"), UsageError);
  assert.throws(
    () => parseLauncherFlags({ arrayLimit: "4" }, exp, "quick"),
    /needs --launcher slurm/,
  );
  assert.throws(
    () => parseLauncherFlags({ launcher: "pbs" }, exp, "quick"),
    /--launcher must be one of local, slurm/,
  );
  assert.throws(
    () => parseLauncherFlags({ launcher: "slurm", arrayLimit: "0" }, exp, "quick"),
    /--array-limit must be a positive integer/,
  );
  const c = parseLauncherFlags(
    { launcher: "slurm", slurmOpt: ["mem=4G"], arrayLimit: "3" },
    exp,
    "paper",
  );
  assert.deepEqual(c.options, { gpus: "1", time: "00:20:00", mem: "4G" });
  assert.equal(c.arrayLimit, 3);
  assert.deepEqual(c.extra, ["#SBATCH --qos=test"]);
  assert.deepEqual(reportJobFlags({ profile: "paper", epochs: 2, sets: [], dataRoot: "/d" }), [
    "--profile",
    "paper",
    "--epochs",
    "2",
    "--data-root",
    "/d",
  ]);
});

Deno.test("launcher: --dry-run --launcher slurm prints both scripts and submits nothing", async () => {
  await withExperiment(async (file, out) => {
    const r = await capture(() =>
      main([
        file,
        "--launcher",
        "slurm",
        "--dry-run",
        "--out",
        out,
        "--array-limit",
        "1",
        "--slurm-opt",
        "mem=2G",
      ])
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^#SBATCH --array=0-1%1$/m);
    assert.match(r.out, /^#SBATCH --partition=short$/m);
    assert.match(r.out, /^#SBATCH --time=00:20:00$/m);
    assert.match(r.out, /^#SBATCH --mem=2G$/m);
    assert.match(r.out, /^#SBATCH --qos=test$/m);
    assert.doesNotMatch(r.out, /--gres=gpu/, "no GPU on the quick profile");
    assert.match(r.out, /RUN_ID=concat__crema-d__s0\n/);
    assert.match(r.out, /RUN_ID=sum__crema-d__s0\n/);
    assert.match(
      r.out,
      /main\.ts run --method sum --dataset crema-d --seed 0 --profile quick --epochs 1 /,
    );
    assert.match(r.out, /sbatch --dependency=afterany:<array job>/);
    assert.match(r.out, /main\.ts reproduce \S+lt\.yaml --profile quick --out \S+ --report-only\n/);
    let exists = true;
    try {
      Deno.statSync(out);
    } catch {
      exists = false;
    }
    assert.equal(exists, false, "a dry run writes nothing");
  });
});

Deno.test("launcher: without sbatch, --launcher slurm is one error line naming the package, exit 2", async () => {
  await withExperiment(async (file, out) => {
    const path = Deno.env.get("PATH") ?? "";
    Deno.env.set("PATH", "/nonexistent");
    try {
      const r = await capture(() => main([file, "--launcher", "slurm", "--out", out]));
      assert.equal(r.code, 2);
      const lines = r.err.split("\n").filter((l) => l.startsWith("error:"));
      assert.equal(lines.length, 1, r.err);
      assert.match(
        lines[0],
        /needs sbatch, which is not on the PATH: .*apt-get install slurm-client.*slurm-wlm munge/,
      );
    } finally {
      Deno.env.set("PATH", path);
    }
  });
});

Deno.test("launcher: --report-only writes the report from the records and runs nothing", async () => {
  await withExperiment(async (file, out) => {
    const r = await capture(() => main([file, "--report-only", "--out", out]));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /2 runs have no finished record: concat__crema-d__s0, sum__crema-d__s0/);
    assert.match(r.out, /Incomplete: 0 of 2 planned runs have finished/);
    assert.deepEqual(
      [...Deno.readDirSync(`${out}/runs`)].map((e) => e.name).filter((n) => n === "lt"),
      [],
    );
  });
});
