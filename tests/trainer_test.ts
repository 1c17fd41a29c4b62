import { assert, assertEquals, assertRejects } from "./assert.ts";
import { runOne } from "../src/runner/run_one.ts";
import { NonFiniteLossError } from "../src/train/trainer.ts";
import { readCsv, runMain, tempOut, tinyConfig, useWasm } from "./helpers.ts";
import { epochTensorCounts } from "./methods/pace_fixtures.ts";

/** epochs.csv without the wall-clock column. */
async function numbers(dir: string): Promise<Record<string, string>[]> {
  return (await readCsv(`${dir}/epochs.csv`)).map(({ wall_s: _w, ...rest }) => rest);
}

function stripWall(s: Record<string, unknown>): Record<string, unknown> {
  // record_sha256 is the checksum of the record, wall time included.
  const { wall_s: _w, run_id: _r, record_sha256: _c, ...rest } = s;
  return rest;
}

Deno.test("trainer: same seed and backend give identical epochs.csv numbers (concat and ibml)", async () => {
  await useWasm();
  for (const m of ["concat", "ibml"]) {
    const cfg = tinyConfig(m, 4);
    const a = await runOne({ config: cfg, out: await tempOut(), backend: "wasm" });
    const b = await runOne({ config: cfg, out: await tempOut(), backend: "wasm" });
    assertEquals(await numbers(a.dir), await numbers(b.dir));
    const other = await runOne({
      config: tinyConfig(m, 4, [], "crema-d"),
      out: await tempOut(),
      backend: "wasm",
    });
    assertEquals(await numbers(other.dir), await numbers(a.dir));
    const seed1 = await runOne({
      config: { ...cfg, seed: 1 },
      out: await tempOut(),
      backend: "wasm",
    });
    assert(
      JSON.stringify(await numbers(seed1.dir)) !== JSON.stringify(await numbers(a.dir)),
      "another seed must give other numbers",
    );
  }
});

Deno.test("trainer: a run killed mid-way resumes from its last checkpoint with the same final numbers", async () => {
  await useWasm();
  const sets = ["--set", "data.train_size=600", "--set", "data.test_size=120"];
  const args = [
    "run",
    "--method",
    "ibml",
    "--dataset",
    "crema-d",
    "--epochs",
    "40",
    ...sets,
    "--backend",
    "wasm",
  ];
  const outA = await tempOut();
  const full = await runMain([...args, "--out", outA]);
  assertEquals(full.code, 0, full.stderr);

  const outB = await tempOut();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args, "--out", outB],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Kill the process once a checkpoint of at least 3 epochs exists.
  const runs = `${outB}/runs/adhoc`;
  let killedAfter = 0;
  for (let i = 0; i < 3000 && killedAfter === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      for (const d of Deno.readDirSync(runs)) {
        const meta = JSON.parse(
          Deno.readTextFileSync(`${runs}/${d.name}/checkpoint/checkpoint.json`),
        );
        if (meta.epochs_done >= 3) {
          child.kill("SIGKILL");
          killedAfter = meta.epochs_done;
        }
      }
    } catch { /* not there yet */ }
  }
  await child.status;
  assert(killedAfter > 0, "the run was never seen checkpointing");
  // The killed process's claim (<run>.lock) is left beside the folder; the rerun takes it over.
  const dirB = [...Deno.readDirSync(runs)].filter((e) => e.isDirectory)[0].name;
  let summaryExists = true;
  try {
    Deno.statSync(`${runs}/${dirB}/summary.json`);
  } catch {
    summaryExists = false;
  }
  assert(!summaryExists, "killed before the end: no summary must exist");

  const resumed = await runMain([...args, "--out", outB]);
  assertEquals(resumed.code, 0, resumed.stderr);
  assert(/resuming from the checkpoint after epoch \d+/.test(resumed.stderr), resumed.stderr);
  const a = JSON.parse(await Deno.readTextFile(`${outA}/runs/adhoc/${dirB}/summary.json`));
  const b = JSON.parse(await Deno.readTextFile(`${runs}/${dirB}/summary.json`));
  assertEquals(stripWall(b), stripWall(a));
  assertEquals(await numbers(`${runs}/${dirB}`), await numbers(`${outA}/runs/adhoc/${dirB}`));
});

Deno.test("trainer: no tensor leak, numTensors after epoch 2 equals after epoch 5", async () => {
  await useWasm();
  for (const m of ["concat", "sum", "unimodal", "ibml"]) {
    const counts = await epochTensorCounts(tinyConfig(m, 5));
    assertEquals(counts[4], counts[1], `${m}: ${counts.join(",")}`);
  }
});

Deno.test("trainer: a NaN loss stops the run with a clear error and no summary", async () => {
  await useWasm();
  const out = await tempOut();
  const cfg = tinyConfig("concat", 3, ["train.lr=1e30"]);
  await assertRejects(
    () => runOne({ config: cfg, out, backend: "wasm" }),
    "lower the learning rate",
  );
  const dir = [...Deno.readDirSync(`${out}/runs/adhoc`)][0].name;
  const files = [...Deno.readDirSync(`${out}/runs/adhoc/${dir}`)].map((e) => e.name);
  assert(!files.includes("summary.json"), `no summary expected, got ${files}`);
  void NonFiniteLossError;
});
