/**
 * The reliability suite (issue 18): one test per row, each reproducing the probe and
 * asserting the fixed behaviour. Sweeps, signals and permissions run real processes
 * (`npx -y deno task reproduce` where the row is about the task), on a tiny experiment
 * (two runs of one epoch on a small stand-in) to keep the CPU time modest.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { encodeNpz } from "../src/data/numpy/mod.ts";
import { configHash } from "../src/config/hash.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";
import { runIdentity } from "../src/runner/run_hash.ts";
import { readCheckpoint, saveCheckpoint } from "../src/train/checkpoint.ts";
import { runOne } from "../src/runner/run_one.ts";
import { planRuns } from "../src/runner/plan.ts";
import { trainerDeps } from "../src/runner/defaults.ts";
import { expandRuns } from "../src/experiment/expand.ts";
import { loadExperiment } from "../src/experiment/catalog.ts";
import { withChecksum } from "../src/report/record_check.ts";
import { standInArrays } from "./fixtures/make_npz.ts";
import { runMain, tempOut, tinyConfig, useTestEngine } from "./helpers.ts";
import { makeCremaD } from "./fixtures/make_crema_d.ts";
import { regressReference } from "../src/cli/regress.ts";
import { FAKE_WORKER, fakeDeps, invocations } from "./fixtures/fake_runner.ts";
import { checkCremaD, loadCremaD } from "../src/data/loaders/crema_d.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TINY_SETS = ["data.train_size=120", "data.test_size=60"];

/** Writes a small feature file; `variant` changes its content. */
async function writeNpz(
  path: string,
  variant = 0,
  edit?: (a: ReturnType<typeof standInArrays>) => void,
) {
  const arrays = standInArrays("crema-d", false, {
    train_size: 120,
    test_size: 60,
    seed: variant,
  });
  edit?.(arrays);
  await Deno.writeFile(path, encodeNpz(arrays));
}

/** A tiny experiment file: concat and sum on a small crema-d stand-in, one seed. */
async function tinyExperiment(dir: string): Promise<string> {
  const path = `${dir}/tiny.yaml`;
  await Deno.writeTextFile(
    path,
    [
      'title: "reliability: two tiny runs"',
      "methods: [concat, sum]",
      "datasets: [crema-d]",
      "seeds: [0]",
      "profiles:",
      "  quick:",
      "    epochs: 1",
      "  paper:",
      "    epochs: 1",
      "report:",
      "  kind: regress",
    ].join("\n") + "\n",
  );
  return path;
}

/** Starts `npx -y deno task reproduce ...` (the documented entry point) in the project. */
function taskReproduce(args: string[]): Deno.ChildProcess {
  return new Deno.Command("npx", {
    args: ["-y", "deno", "task", "reproduce", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function finish(p: Deno.ChildProcess): Promise<{ code: number; text: string }> {
  const o = await p.output();
  const dec = new TextDecoder();
  return { code: o.code, text: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** The numbers of a run record without wall times and checksums (same seed: identical). */
async function recordNumbers(dir: string): Promise<unknown> {
  const s = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  delete s.wall_s;
  delete s.record_sha256;
  const csv = (await Deno.readTextFile(`${dir}/epochs.csv`)).trim().split("\n");
  const wall = csv[0].split(",").indexOf("wall_s");
  const rows = csv.map((l) => l.split(",").filter((_, i) => i !== wall).join(","));
  return { s, rows };
}

/** Pids of processes whose command line contains `marker` (e.g. a unique --out folder). */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes(marker)) {
        out.push(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return out;
}

// Row 1 ---------------------------------------------------------------------------------

Deno.test("reliability 1: a changed feature file is a new run, the old one reported superseded", async () => {
  const dir = await tempOut();
  try {
    const npz = `${dir}/feat.npz`;
    await writeNpz(npz, 0);
    const args = [
      "run",
      "--method",
      "concat",
      "--dataset",
      `npz:${npz}`,
      "--epochs",
      "1",
      "--out",
      dir,
      "--backend",
      "wasm",
    ];
    const first = await runMain(args);
    assert.equal(first.code, 0, first.stderr);
    const hashBefore = runIdentity(
      resolveConfig({ method: "concat", dataset: `npz:${npz}`, epochs: 1 }),
    );
    await writeNpz(npz, 1); // same path, different content
    const hashAfter = runIdentity(
      resolveConfig({ method: "concat", dataset: `npz:${npz}`, epochs: 1 }),
    );
    assert.notEqual(hashAfter.hash, hashBefore.hash, "the content is part of the run hash");
    assert.equal(hashAfter.settingsHash, hashBefore.settingsHash);
    const second = await runMain(args);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /already done/);
    assert.match(
      second.stderr,
      /superseded: .*concat__npz-feat__s0__.* was trained on other content/,
    );
    const folders = [...Deno.readDirSync(`${dir}/runs/adhoc`)].filter((e) => e.isDirectory);
    assert.equal(folders.length, 2, "both runs are kept");
    const fresh = JSON.parse(
      await Deno.readTextFile(
        `${dir}/runs/adhoc/concat__npz-feat__s0__${hashAfter.hash.slice(0, 8)}/summary.json`,
      ),
    );
    assert.equal(fresh.inputs.sha256, hashAfter.inputs?.sha256);
    // A sweep's planner sees the same: a finished run on the old content is not done.
    const exp = await loadExperiment(await tinyExperiment(dir));
    const plan = await planRuns(expandRuns(exp, {}), trainerDeps(), { out: dir });
    assert.ok(plan.every((r) => r.state === "todo"));
    // Stand-ins read no files: their hash is the plain config hash (pinned runs keep theirs).
    const cfg = resolveConfig({ method: "concat", dataset: "crema-d" });
    assert.equal(runIdentity(cfg).hash, configHash(cfg));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Row 2 ---------------------------------------------------------------------------------

Deno.test("reliability 2: a corrupt or edited record is listed, its cell marked incomplete, and replanned", async () => {
  const dir = await tempOut();
  try {
    const exp = await loadExperiment("table5");
    const runs = expandRuns(exp, {});
    for (const r of runs) {
      const folder = `${dir}/runs/table5/${r.runId}`;
      await Deno.mkdir(folder, { recursive: true });
      const acc = { fusion: 0.6 + r.seed / 100, audio: 0.5, visual: 0.3 };
      const summary = withChecksum({
        method: r.method,
        dataset: r.dataset,
        seed: r.seed,
        profile: "quick",
        backend: "wasm",
        modalities: ["audio", "visual"],
        strong: "audio",
        epochs: 2,
        final: acc,
        best: { epoch: 2, ...acc },
        selected_on: "test",
        ratio_mean: 1.5,
        wall_s: 1,
        config_hash: "h",
        experiment: "table5",
        run_id: r.runId,
        variant: r.variant,
      });
      await Deno.writeTextFile(`${folder}/summary.json`, JSON.stringify(summary, null, 2));
    }
    const complete = await runMain(["table", "table5", "--out", dir]);
    assert.equal(complete.code, 0, complete.stderr);
    assert.doesNotMatch(complete.stdout, /\[\d\/3\]/);
    // Truncate one record, edit another (valid JSON, checksum no longer matches).
    const truncated = `${dir}/runs/table5/full__crema-d__s1/summary.json`;
    const text = await Deno.readTextFile(truncated);
    await Deno.writeTextFile(truncated, text.slice(0, text.length / 2));
    const edited = `${dir}/runs/table5/concat__crema-d__s2/summary.json`;
    const e = JSON.parse(await Deno.readTextFile(edited));
    e.best.fusion = 0.99;
    await Deno.writeTextFile(edited, JSON.stringify(e));
    const r = await runMain(["table", "table5", "--out", dir]);
    assert.equal(r.code, 1, "a corrupt record is a failure, not a silent drop");
    assert.match(r.stderr, new RegExp(`${truncated}: not valid JSON`));
    assert.match(r.stderr, new RegExp(`${edited}: checksum mismatch`));
    assert.match(r.stdout, /Incomplete cells: 8 cells/);
    assert.match(r.stdout, /\| #1 BIO\+TCM\+Warmup \| [^|]*\[2\/3\]/);
    assert.match(r.stdout, /Corrupt record left out: .*full__crema-d__s1\/summary.json/);
    // reproduce redoes both (the planner does not take them as done).
    const plan = await planRuns(runs, { hash: () => "h", implemented: () => true }, { out: dir });
    const todo = plan.filter((p) => p.state === "todo").map((p) => p.runId).sort();
    assert.deepEqual(todo, ["concat__crema-d__s2", "full__crema-d__s1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Row 3 ---------------------------------------------------------------------------------

Deno.test("reliability 3: a truncated, broken or flipped checkpoint is named, set aside, and the run redone", async () => {
  await useTestEngine();
  const out = await tempOut();
  try {
    const cfg = tinyConfig("concat", 2, TINY_SETS);
    const reference = await runOne({ config: cfg, out: `${out}/ref`, backend: "wasm" });
    const hash = runIdentity(cfg).hash;
    const forms: Record<string, (dir: string) => Promise<void>> = {
      truncated: async (d) => {
        const b = await Deno.readFile(`${d}/tensors.bin`);
        await Deno.writeFile(`${d}/tensors.bin`, b.slice(0, b.length - 7));
      },
      "broken JSON": async (d) => {
        const t = await Deno.readTextFile(`${d}/checkpoint.json`);
        await Deno.writeTextFile(`${d}/checkpoint.json`, t.slice(0, t.length - 9));
      },
      "flipped bytes": async (d) => {
        const b = await Deno.readFile(`${d}/tensors.bin`);
        b[5] ^= 0xff;
        b[b.length - 3] ^= 0x10;
        await Deno.writeFile(`${d}/tensors.bin`, b);
      },
    };
    for (const [form, damage] of Object.entries(forms)) {
      const root = `${out}/${form.replace(" ", "-")}`;
      const runDir = `${root}/runs/adhoc/concat__crema-d__s0__${hash.slice(0, 8)}`;
      const ck = `${runDir}/checkpoint`;
      await Deno.mkdir(runDir, { recursive: true });
      const w = tf.tensor1d([1, 2, 3, 4]);
      await saveCheckpoint(ck, { config_hash: hash, epochs_done: 1, state: {} }, { w });
      w.dispose();
      await damage(ck);
      const read = await readCheckpoint(ck);
      assert.equal(read.status, "corrupt", form);
      const lines: string[] = [];
      const r = await runOne({
        config: cfg,
        out: root,
        backend: "wasm",
        log: (l) => lines.push(l),
      });
      const said = lines.filter((l) => l.startsWith("damaged checkpoint"));
      assert.equal(said.length, 1, `${form}: ${lines.join("\n")}`);
      assert.match(said[0], new RegExp(`${ck}/(tensors\\.bin|checkpoint\\.json)`));
      assert.equal(r.resumedFrom, 0, `${form}: restarted from scratch`);
      const aside = [...Deno.readDirSync(runDir)].filter((e) =>
        e.name.startsWith("checkpoint.corrupt-")
      );
      assert.equal(aside.length, 1, `${form}: the damaged checkpoint is kept aside`);
      assert.deepEqual(r.summary.best, reference.summary.best, `${form}: same numbers`);
      assert.deepEqual(await recordNumbers(r.dir), await recordNumbers(reference.dir));
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

// Rows 4 and 7 --------------------------------------------------------------------------

let single: Promise<{ out: string; exp: string; code: number; text: string }> | null = null;

/** One sweep of the tiny experiment through the task, into a folder outside the project. */
function singleSweep() {
  single ??= (async () => {
    const out = await tempOut();
    const exp = await tinyExperiment(out);
    const r = await finish(
      taskReproduce([exp, "--out", `${out}/res`, "--jobs", "1", ...setFlags(TINY_SETS)]),
    );
    return { out, exp, ...r };
  })();
  return single;
}

function setFlags(sets: string[]): string[] {
  return sets.flatMap((s) => ["--set", s]);
}

Deno.test("reliability 7: deno task reproduce --out DIR outside results/ works", async () => {
  const s = await singleSweep();
  assert.equal(s.code, 0, s.text);
  assert.match(s.text, /restarting with write access to it added/);
  for (const id of ["concat__crema-d__s0", "sum__crema-d__s0"]) {
    await Deno.stat(`${s.out}/res/runs/tiny/${id}/summary.json`);
  }
  // Without the run permission there is no restart: one line naming --out and the fix.
  const dir = await tempOut();
  try {
    const o = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        "--allow-ffi",
        "--allow-write=results",
        "main.ts",
        "reproduce",
        s.exp,
        "--out",
        dir,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(o.stderr).trim();
    assert.equal(o.code, 2, err);
    assert.match(err, new RegExp(`^error: --out ${dir}: .*--allow-write=${dir}`, "m"));
    assert.equal([...Deno.readDirSync(dir)].length, 0, "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reliability 4: two concurrent sweeps on one --out run every run exactly once", async () => {
  const s = await singleSweep();
  assert.equal(s.code, 0, s.text);
  const out = `${s.out}/two`;
  const a = taskReproduce([s.exp, "--out", out, "--jobs", "1", ...setFlags(TINY_SETS)]);
  const b = taskReproduce([s.exp, "--out", out, "--jobs", "1", ...setFlags(TINY_SETS)]);
  const [ra, rb] = await Promise.all([finish(a), finish(b)]);
  assert.equal(ra.code, 0, ra.text);
  assert.equal(rb.code, 0, rb.text);
  const done = (t: string) => Number(/(\d+) runs done/.exec(t)?.[1] ?? NaN);
  const elsewhere = (t: string) => Number(/(\d+) done elsewhere/.exec(t)?.[1] ?? 0);
  // A sweep that starts after the other finished a run finds it already done (skipped).
  const skipped = (t: string) => Number(/(\d+) skipped \(already done\)/.exec(t)?.[1] ?? 0);
  const accounted = (t: string) => done(t) + elsewhere(t) + skipped(t);
  assert.equal(done(ra.text) + done(rb.text), 2, `${ra.text}\n${rb.text}`);
  assert.equal(accounted(ra.text), 2, ra.text);
  assert.equal(accounted(rb.text), 2, rb.text);
  for (const id of ["concat__crema-d__s0", "sum__crema-d__s0"]) {
    const log = await Deno.readTextFile(`${out}/runs/.logs/tiny/${id}.log`);
    assert.equal(log.match(/^epoch +1\/1/gm)?.length, 1, `${id} trained once:\n${log}`);
    assert.deepEqual(
      await recordNumbers(`${out}/runs/tiny/${id}`),
      await recordNumbers(`${s.out}/res/runs/tiny/${id}`),
      "records identical to a single sweep",
    );
  }
  const left = [...Deno.readDirSync(`${out}/runs/tiny`)].map((e) => e.name).sort();
  assert.deepEqual(left, ["concat__crema-d__s0", "sum__crema-d__s0"], "no locks left");
});

// Row 5 ---------------------------------------------------------------------------------

Deno.test("reliability 5: SIGTERM to the npx wrapper stops deno and its workers", async () => {
  const s = await singleSweep();
  const out = `${s.out}/sigterm-${crypto.randomUUID()}`;
  const child = taskReproduce([
    s.exp,
    "--out",
    out,
    "--jobs",
    "1",
    "--epochs",
    "200",
    ...setFlags(TINY_SETS),
  ]);
  try {
    // Wait until a worker is training (its log has an epoch line).
    const log = `${out}/runs/.logs/tiny/concat__crema-d__s0.log`;
    for (let i = 0; i < 600; i++) {
      const text = await Deno.readTextFile(log).catch(() => "");
      if (/^epoch/m.test(text)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = processesWith(out);
    assert.ok(before.length >= 3, `wrapper, sweep and worker are running: ${before}`);
    child.kill("SIGTERM"); // the npx process, as `timeout` or a CI runner sends it
    let left = before;
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = processesWith(out);
    }
    assert.deepEqual(left, [], "every process of the sweep is gone within 10 s");
  } finally {
    for (const pid of processesWith(out)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await child.status;
    child.stdout.cancel();
    child.stderr.cancel();
  }
});

// Row 6 ---------------------------------------------------------------------------------

Deno.test("reliability 6: -P sweeps start their workers with the same narrow permission set", async () => {
  const script = new URL("./fixtures/worker_perms.ts", import.meta.url).pathname;
  const run = async (perm: string[]) => {
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...perm, script, "/tmp/elsewhere-out"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    return JSON.parse(new TextDecoder().decode(o.stdout)) as string[];
  };
  const narrow = await run(["-P"]);
  assert.ok(!narrow.includes("-A"), narrow.join(" "));
  assert.ok(!narrow.some((f) => f.startsWith("--allow-net")), "no network");
  assert.ok(narrow.includes("--allow-read"));
  const write = narrow.find((f) => f.startsWith("--allow-write="));
  assert.ok(write, narrow.join(" "));
  // The parent may write results/ and docs/ (deno.json), not /tmp/elsewhere-out.
  assert.deepEqual(write.slice("--allow-write=".length).split(",").sort(), [
    `${ROOT}docs`,
    `${ROOT}results`,
  ]);
  const wide = await run(["-A"]);
  assert.ok(wide.includes("-A"));
  // A real -P sweep's worker command line carries the narrow set (seen in reliability 5's
  // processes too): check one from the single sweep's log-producing run.
  const s = await singleSweep();
  assert.doesNotMatch(s.text, /deno run -A/);
});

// Row 10 (and 12) -----------------------------------------------------------------------

Deno.test("reliability 10: each degenerate input is one error line, exit 2, nothing written", async () => {
  const dir = await tempOut();
  try {
    const npz = async (name: string, edit: (a: ReturnType<typeof standInArrays>) => void) => {
      const path = `${dir}/${name}.npz`;
      await writeNpz(path, 0, edit);
      return `npz:${path}`;
    };
    const rows = (a: { shape: number[]; data: ArrayLike<number> }, n: number) => {
      const d = a.shape.slice(1).reduce((p, q) => p * q, 1);
      return {
        ...a,
        shape: [n, ...a.shape.slice(1)],
        data: (a.data as Float32Array).slice(0, n * d),
      };
    };
    const cases: [string, string[], RegExp][] = [
      [
        "zero rows",
        [
          "--dataset",
          await npz("zero", (a) => {
            for (const k of Object.keys(a)) {
              if (k.endsWith("_train")) a[k] = rows(a[k] as never, 0) as never;
            }
          }),
        ],
        /array 'y_train': has 0 rows/,
      ],
      [
        "single class",
        [
          "--dataset",
          await npz("single", (a) => {
            for (const k of ["y_train", "y_test"]) {
              const y = a[k];
              a[k] = { ...y, data: (y.data as BigInt64Array).map(() => 0n) } as never;
            }
          }),
        ],
        /array 'y_train': has a single class/,
      ],
      [
        "zero-row test split",
        [
          "--dataset",
          await npz("notest", (a) => {
            for (const k of Object.keys(a)) {
              if (k.endsWith("_test")) a[k] = rows(a[k] as never, 0) as never;
            }
          }),
        ],
        /array 'y_test': has 0 rows/,
      ],
      [
        "zero features",
        [
          "--dataset",
          await npz("nofeat", (a) => {
            for (const s of ["train", "test"]) {
              const x = a[`visual_${s}`];
              a[`visual_${s}`] = {
                ...x,
                shape: [x.shape[0], 0],
                data: new Float32Array(0),
              } as never;
            }
          }),
        ],
        /array 'visual_train': has 0 features per sample/,
      ],
      [
        "merged_share out of range",
        ["--dataset", "crema-d", "--set", "data.merged_share=5"],
        /data\.merged_share must be in \[0, 1\]/,
      ],
      [
        "huge epochs",
        ["--dataset", "crema-d", "--epochs", "99999999999999999999"],
        /--epochs must/,
      ],
      [
        "epochs 1e1",
        ["--dataset", "crema-d", "--epochs", "1e1"],
        /--epochs must be a positive integer \(got '1e1'\)/,
      ],
      [
        "epochs -1",
        ["--dataset", "crema-d", "--epochs", "-1"],
        /--epochs must be a positive integer \(got '-1'\)/,
      ],
    ];
    for (const [what, args, message] of cases) {
      const out = `${dir}/out-${what.replaceAll(" ", "-")}`;
      const r = await runMain(["run", "--method", "concat", ...args, "--out", out]);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n").filter((l) => !/^(backend|Warning)/.test(l));
      assert.equal(lines.length, 1, `${what}: one line, got:\n${r.stderr}`);
      assert.match(lines[0], /^error: /, what);
      assert.match(lines[0], message, what);
      const runs = await Deno.readDir(`${out}/runs/adhoc`)[Symbol.asyncIterator]().next()
        .then((x) => x.done ? [] : [x.value]).catch(() => []);
      assert.deepEqual(runs, [], `${what}: nothing written`);
    }
    // Row 12: a missing data root fails once, before planning or starting workers.
    const r = await runMain([
      "reproduce",
      "table5",
      "--profile",
      "paper",
      "--data-root",
      "/nonexistent",
      "--out",
      `${dir}/paper`,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), /^error: --data-root \/nonexistent: no such folder/);
    assert.doesNotMatch(r.stderr, /sweep/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Row 11 --------------------------------------------------------------------------------

Deno.test("reliability 11: datasets check names each broken WAV/JPG; a run skips and counts them", async () => {
  await useTestEngine();
  const root = await tempOut();
  try {
    const fx = await makeCremaD(root, { clips: 12, frameSize: [16, 12], style: "flat" });
    const emptyWav = `${fx.folder}/AudioWAV/${fx.train[0].clip}.wav`;
    await Deno.writeFile(emptyWav, new Uint8Array(0));
    const clip = fx.train[1].clip;
    const badJpg = `${fx.folder}/Image-01-FPS/${clip}/${fx.frames[clip][1]}`;
    await Deno.writeTextFile(badJpg, "this is not a jpeg");
    const report = await checkCremaD(root);
    assert.equal(report.status, "malformed");
    const notes = (report.notes ?? []).join("\n");
    assert.match(notes, new RegExp(`broken file ${emptyWav}: empty file`));
    assert.match(notes, new RegExp(`broken file ${badJpg}: not a JPEG file`));
    const cli = await runMain(["datasets", "check", "--data-root", root, "--dataset", "crema-d"]);
    assert.match(cli.stdout + cli.stderr, new RegExp(`broken file ${badJpg}`));
    const cfg = resolveConfig({
      method: "concat",
      dataset: "crema-d",
      profile: "paper",
      dataRoot: root,
      sets: ["data.frame_size=16"],
    });
    const ds = await loadCremaD(cfg, `${root}/cache`);
    try {
      assert.equal(ds.facts?.broken_train, 2);
      assert.equal(ds.train.size, fx.train.length - 2);
    } finally {
      ds.dispose();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// Row 13 --------------------------------------------------------------------------------

Deno.test("reliability 13: regress checks a truncated reference before running anything", async () => {
  const dir = await tempOut();
  try {
    const text = await Deno.readTextFile(`${ROOT}results/reference/ci.csv`);
    const cut = `${dir}/ci.csv`;
    const exp = await loadExperiment("ci");
    await Deno.writeTextFile(cut, text.slice(0, text.lastIndexOf("\n", text.length - 500) + 1));
    await assert.rejects(
      () =>
        regressReference({
          experiment: exp,
          referencePath: cut,
          workDir: dir,
          deps: fakeDeps(),
          worker: FAKE_WORKER,
        }),
      new RegExp(`reference ${cut} is damaged \\(run .* lacks `),
    );
    assert.deepEqual(await invocations(dir), [], "no run started");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
