import assert from "node:assert/strict";
import { defaultWorker, runArgs, startWorker } from "../src/runner/worker.ts";
import type { PlannedRun } from "../src/runner/plan.ts";

const run: PlannedRun = {
  experiment: "table5",
  runId: "no-tcm__crema-d__s1",
  entry: "no-tcm",
  variant: "no-tcm",
  method: "ibml",
  dataset: "crema-d",
  seed: 1,
  profile: "quick",
  epochs: 30,
  sets: ["method.tcm=false", "train.info_epochs=[3,9]"],
  configHash: "abc",
  dir: "results/runs/table5/no-tcm__crema-d__s1",
  state: "todo",
};

Deno.test("worker: the flags of main.ts run for a planned run", () => {
  assert.deepEqual(runArgs(run, { out: "results", backend: "wasm", dataRoot: "/data" }), [
    "--method",
    "ibml",
    "--dataset",
    "crema-d",
    "--seed",
    "1",
    "--profile",
    "quick",
    "--epochs",
    "30",
    "--set",
    "method.tcm=false",
    "--set",
    "train.info_epochs=[3,9]",
    "--out",
    "results",
    "--experiment",
    "table5",
    "--run-id",
    "no-tcm__crema-d__s1",
    "--variant",
    "no-tcm",
    "--backend",
    "wasm",
    "--data-root",
    "/data",
  ]);
  const plain = runArgs({ ...run, variant: null, epochs: undefined, sets: [] }, { out: "o" });
  assert.ok(
    !plain.includes("--variant") && !plain.includes("--epochs") && !plain.includes("--backend"),
  );
  const w = defaultWorker();
  assert.equal(w.command, Deno.execPath());
  assert.equal(w.prefix[2], "--v8-flags=--no-liftoff");
  assert.ok(w.prefix[3].endsWith("/main.ts") && w.prefix[4] === "run");
});

Deno.test("worker: output goes to the log, exit code and tail come back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/logs/x.log`;
    const w = startWorker(
      { command: "bash", prefix: ["-c", "echo out-line; echo err-line >&2; exit 3", "bash"] },
      [],
      log,
    );
    const r = await w.done;
    assert.equal(r.code, 3);
    assert.match(r.tail, /err-line/);
    const text = await Deno.readTextFile(log);
    assert.match(text, /out-line/);
    assert.match(text, /err-line/);
    const slow = startWorker({ command: "sleep", prefix: ["5"] }, [], `${dir}/logs/y.log`);
    slow.kill();
    assert.equal((await slow.done).code, 143);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("worker: a worker gets the huge-page tunable, and env may override it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const show = { command: "bash", prefix: ["-c", 'echo "tunables=$GLIBC_TUNABLES"', "bash"] };
    const a = startWorker(show, [], `${dir}/a.log`);
    assert.equal((await a.done).code, 0);
    assert.match(await Deno.readTextFile(`${dir}/a.log`), /^tunables=.*glibc\.malloc\.hugetlb=/m);
    const b = startWorker(show, [], `${dir}/b.log`, { GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" });
    assert.equal((await b.done).code, 0);
    assert.equal(await Deno.readTextFile(`${dir}/b.log`), "tunables=glibc.malloc.hugetlb=0\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
