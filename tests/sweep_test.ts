import assert from "node:assert/strict";
import { planRuns } from "../src/runner/plan.ts";
import { logPath, runSweep } from "../src/runner/sweep.ts";
import { FAKE_WORKER, fakeDeps, invocations, spec } from "./fixtures/fake_runner.ts";

const opts = (out: string, jobs = 2) => ({ out, jobs, worker: FAKE_WORKER, handleSignals: false });

Deno.test("sweep: a failed run does not stop the others and is reported", async () => {
  const out = await Deno.makeTempDir();
  try {
    const runs = [
      spec("concat", 0),
      spec("ibml", 0, ["fake.fail=1"]),
      spec("sum", 0),
      spec("mla", 0),
    ];
    const plan = await planRuns(runs, fakeDeps(["mla"]), { out });
    const r = await runSweep(plan, opts(out));
    assert.deepEqual(r.done.sort(), ["concat__crema-d__s0", "sum__crema-d__s0"]);
    assert.equal(r.failed.length, 1);
    assert.equal(r.failed[0].runId, "ibml__crema-d__s0");
    assert.equal(r.failed[0].code, 1);
    assert.match(r.failed[0].tail, /training diverged/);
    assert.equal(r.failed[0].log, logPath(out, "t", "ibml__crema-d__s0"));
    assert.match(await Deno.readTextFile(r.failed[0].log), /fake worker: ibml/);
    assert.deepEqual(r.notImplemented, ["mla__crema-d__s0"]);
    assert.equal(r.interrupted, false);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("sweep: a worker killed mid-run is redone on restart; finished runs are never redone", async () => {
  const out = await Deno.makeTempDir();
  try {
    const runs = [spec("concat", 0), spec("ibml", 0, ["fake.killonce=1"]), spec("concat", 1)];
    const first = await runSweep(await planRuns(runs, fakeDeps(), { out }), opts(out, 1));
    assert.deepEqual(first.done, ["concat__crema-d__s0", "concat__crema-d__s1"]);
    assert.deepEqual(first.failed.map((f) => [f.runId, f.code]), [["ibml__crema-d__s0", 137]]);
    // The killed run left a partial record without summary.json.
    await Deno.stat(`${out}/runs/t/ibml__crema-d__s0/epochs.csv`);
    const plan2 = await planRuns(runs, fakeDeps(), { out });
    assert.deepEqual(plan2.map((r) => r.state), ["done", "todo", "done"]);
    const second = await runSweep(plan2, opts(out, 1));
    assert.deepEqual(second.done, ["ibml__crema-d__s0"]);
    assert.deepEqual(second.skipped, ["concat__crema-d__s0", "concat__crema-d__s1"]);
    assert.deepEqual(await invocations(out), [
      "concat__crema-d__s0",
      "ibml__crema-d__s0",
      "concat__crema-d__s1",
      "ibml__crema-d__s0",
    ]);
    const third = await runSweep(await planRuns(runs, fakeDeps(), { out }), opts(out, 1));
    assert.equal(third.done.length + third.failed.length, 0);
    assert.equal(third.skipped.length, 3);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("sweep: workers run in parallel", async () => {
  const out = await Deno.makeTempDir();
  try {
    const runs = [0, 1, 2, 3].map((s) => spec("concat", s, ["fake.sleep=0.4"]));
    const t0 = performance.now();
    const r = await runSweep(await planRuns(runs, fakeDeps(), { out }), opts(out, 4));
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.done.length, 4);
    assert.ok(seconds < 1.55, `4 runs of 0.4 s with 4 workers took ${seconds.toFixed(2)} s`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("sweep: a stopped sweep kills its workers and a rerun continues where it stopped", async () => {
  const out = await Deno.makeTempDir();
  const script = new URL("./fixtures/sweep_script.ts", import.meta.url).pathname;
  const start = (sleep: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, out, sleep],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  try {
    const child = start("5");
    // Stop it once the first run has finished and the second has started.
    for (let i = 0; i < 200 && (await invocations(out)).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGTERM");
    const first = await child.output();
    assert.equal(first.code, 130, new TextDecoder().decode(first.stderr));
    const stopped = JSON.parse(new TextDecoder().decode(first.stdout));
    assert.equal(stopped.interrupted, true);
    assert.deepEqual(stopped.done, ["concat__crema-d__s0"]);
    await assert.rejects(() => Deno.stat(`${out}/runs/t/concat__crema-d__s1/summary.json`));
    const second = await start("0").output();
    assert.equal(second.code, 0, new TextDecoder().decode(second.stderr));
    const resumed = JSON.parse(new TextDecoder().decode(second.stdout));
    assert.deepEqual(resumed.skipped, ["concat__crema-d__s0"]);
    assert.deepEqual(resumed.done, [
      "concat__crema-d__s1",
      "concat__crema-d__s2",
      "concat__crema-d__s3",
    ]);
    const calls = await invocations(out);
    assert.equal(
      calls.filter((c) => c === "concat__crema-d__s0").length,
      1,
      "a finished run is never redone",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
