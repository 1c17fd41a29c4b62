/**
 * `deno task bench`: per-step training time and peak memory of the models the harness
 * trains, on every available tfjs backend, optionally side by side with PyTorch.
 *
 * ```
 * deno task bench [--models a,b] [--backends tensorflow,wasm,cpu,webgpu] [--steps N] [--warmup N]
 *                 [--cap-s S] [--max-s S] [--profile K] [--stock] [--blas-threads N]
 *                 [--compare] [--torch-threads 1,2] [--native-threads 1] [--rounds N]
 *                 [--flat [--epochs N]] [--reproduce] [--out DIR]
 * deno task bench --memory [--datasets a,b] [--sizes 2,4,8,16,32,64]
 * ```
 *
 * Every (model, backend) runs in its own process (bench/worker.ts), so its peak RSS is its
 * own and a crash or a timeout stays contained. Results: a table on stdout and a CSV in
 * `results/bench/` (`bench-<time>.csv`, merged into `latest.csv`: bench/latest.ts). `--rounds N` repeats every
 * measurement N times, each round one model at a time (bench/rounds.ts: medians over the
 * rounds, ratios taken within each round). `--memory` instead runs the wasm
 * heap sweep of the paper backbones (bench/memory.ts: the largest micro-batch per dataset).
 * See bench/README.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CASES } from "./cases.ts";
import type { WorkerResult } from "./worker.ts";
import type { FlatResult } from "./flat.ts";
import { memorySweep, sweepReport } from "./memory.ts";
import {
  bestPerRound,
  joinRounds,
  pairedRatio,
  perRound,
  type RoundRatio,
  type StepStat,
  type Timed,
} from "./rounds.ts";
import { V8_FLAGS_ARG } from "../src/v8_flags.ts";
import { readNativeManifest } from "../src/backend/native.ts";
import { hugePagesEnv } from "../src/backend/huge_pages.ts";
import { stepCaps } from "./caps.ts";
import { idleNote } from "./idle.ts";
import { updateLatest } from "./latest.ts";
import { fmt, table } from "./table.ts";
import { run } from "./run.ts";

const USAGE = `usage: deno task bench [--models ${CASES.map((c) => c.name).join(",")}]
  [--backends tensorflow,wasm,cpu,webgpu] [--steps N] [--warmup N] [--cap-s S] [--max-s S] [--profile K]
  [--stock] [--blas-threads N] [--compare] [--torch-threads 1,2] [--native-threads 1]
  [--rounds N] [--flat] [--epochs N] [--reproduce] [--out DIR]
       deno task bench --memory [--datasets a,b] [--sizes 2,4,8,16,32,64]`;

const HERE = new URL(".", import.meta.url).pathname;
/** Interpreters tried for `--compare`, first with PyTorch wins; `IBML_TORCH_PYTHON` overrides. */
const PYTHONS = ["python3", "/usr/bin/python3"];
const TORCH_INSTALL =
  "pip install torch (or apt-get install -y python3-torch libopenblas0-pthread), or set IBML_TORCH_PYTHON";

let python: string | undefined;

/** The first interpreter that imports torch (cached); falls back to the first candidate. */
async function torchPython(): Promise<string> {
  if (python) return python;
  const given = Deno.env.get("IBML_TORCH_PYTHON");
  for (const candidate of given ? [given] : PYTHONS) {
    try {
      const r = await new Deno.Command(candidate, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (r.success) return python = candidate;
    } catch { /* not installed */ }
  }
  return python = given ?? PYTHONS[0];
}

/** One PyTorch measurement (a JSON line of bench/torch_reference.py). */
interface TorchResult {
  model: string;
  threads: number;
  batch: number;
  params: number;
  median_ms: number;
  min_ms: number;
  steps: number;
  /** Peak RSS of the PyTorch process that ran only this model (MiB). */
  peak_rss_mib?: number;
}

/** A bench failure that ends the run with exit code 1 after printing what was measured. */
class BenchError extends Error {}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Whether `navigator.gpu` offers an adapter in this runtime. */
async function hasWebGpu(): Promise<string | null> {
  // Mesa's lavapipe complains on stderr when XDG_RUNTIME_DIR is unset; give it a private one
  // (inherited by the worker processes).
  if (!Deno.env.get("XDG_RUNTIME_DIR")) {
    const dir = await Deno.makeTempDir({ prefix: "ibml-xdg-" });
    await Deno.chmod(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  }
  const gpu = (globalThis.navigator as {
    gpu?: { requestAdapter(): Promise<{ info?: { description?: string } } | null> };
  }).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? adapter.info?.description ?? "adapter" : null;
  } catch {
    return null;
  }
}

/** One of our measurements; `tf_threads` is set on the `--native-threads` runs. */
type Row = WorkerResult & { tf_threads?: number };

interface Options {
  models: string[];
  backends: string[];
  steps: number;
  warmup: number;
  capS: number;
  maxS: number;
  profile: number;
  env: Record<string, string>;
}

async function measure(model: string, backend: string, o: Options): Promise<WorkerResult> {
  const args = [
    "run",
    "-A",
    V8_FLAGS_ARG,
    `${HERE}worker.ts`,
    "--model",
    model,
    "--backend",
    backend,
    "--steps",
    String(o.steps),
    "--warmup",
    String(o.warmup),
    "--cap-ms",
    String(o.capS * 1000),
    "--max-s",
    String(o.maxS),
    "--profile",
    String(o.profile),
  ];
  const limit = o.capS * (o.warmup + 2) + o.maxS + 180;
  // Our engine runs as the project runs it, with the huge-page tunable; PyTorch as its users
  // run it, without (bench/README.md, "Huge pages").
  const env = { ...hugePagesEnv(), ...o.env };
  const r = await run(Deno.execPath(), args, limit, env, o.capS + 5);
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  const c = CASES.find((k) => k.name === model)!;
  const base = { model, backend, batch: c.batch, params: 0 };
  if (line) return JSON.parse(line.slice(6)) as WorkerResult;
  // Stack frames and TensorFlow's start-up log lines (absl: "I0000 ...", "WARNING: All log
  // messages before absl::InitializeLog() ...") are not the error.
  const err = r.stderr.trim().split("\n").filter((l) =>
    !l.trimStart().startsWith("at ") && !/^(I\d{4} |WARNING: All log messages)/.test(l)
  );
  const last = err.slice(-2).join(" ").slice(0, 200);
  if (r.capped) {
    return { ...base, status: "skipped", note: `first step took > ${o.capS} s (cap; killed)` };
  }
  if (r.timedOut) {
    return { ...base, status: "error", note: `killed after ${limit} s (time limit)` };
  }
  const oom = /Aborted|out of bounds|out of memory/i.test(r.stderr);
  return {
    ...base,
    status: "error",
    note: oom ? `out of memory (wasm heap is capped at 4 GiB): ${last}` : `failed: ${last}`,
  };
}

/**
 * The native engine's thread scaling: per model, each `--native-threads` count's median
 * beside the default run's (TensorFlow's default, every core), and default / 1 thread, taken
 * within each round (the range over rounds in brackets when there are several), over the
 * rounds' medians and over their fastest steps. With `torch`, PyTorch's own scaling on the
 * same machine beside it.
 */
function threadScaling(
  results: Row[],
  ratio: (m: string, stat: StepStat) => RoundRatio | undefined,
  torch?: { threads: number; ratio: (m: string, stat: StepStat) => RoundRatio | undefined },
): string {
  const cores = navigator.hardwareConcurrency ?? 1;
  const native = results.filter((r) => r.backend === "tensorflow" && r.status === "ok");
  const counts = [...new Set(native.flatMap((r) => r.tf_threads ?? []))].sort((a, b) => a - b);
  const models = [...new Set(native.map((r) => r.model))];
  const of = (m: string, t?: number) => native.find((r) => r.model === m && r.tf_threads === t);
  const rows = models.map((m) => [
    m,
    ...counts.map((t) => fmt(of(m, t)?.median_ms)),
    fmt(of(m)?.median_ms),
    fmtRatio(ratio(m, "median_ms")),
    fmtRatio(ratio(m, "min_ms")),
    ...(torch ? [fmtRatio(torch.ratio(m, "median_ms")), fmtRatio(torch.ratio(m, "min_ms"))] : []),
  ]);
  const pt = torch ? `PyTorch ${torch.threads}T/1T` : "";
  return "\nnative engine thread scaling (median ms/step)\n" + table(
    [
      "model",
      ...counts.map((t) => `${t}T`),
      `default (${cores} cores)`,
      "default/1T",
      "default/1T fastest",
      ...(torch ? [pt, `${pt} fastest`] : []),
    ],
    rows,
  ) +
    "\ndefault/1T: the ratio of the round medians, taken within each round; fastest: the same " +
    "over each round's fastest step (what interference from other processes cannot slow)" +
    (torch ? `; ${pt}: the same machine's scaling of the same step in PyTorch` : "");
}

/** A ratio, with its range over rounds in brackets when there were several. */
function fmtRatio(r: RoundRatio | undefined): string {
  if (!r) return "-";
  return r.rounds > 1
    ? `${fmt(r.median, 2)} (${fmt(r.min, 2)}-${fmt(r.max, 2)})`
    : fmt(r.median, 2);
}

async function torchProcess(models: string[], threads: number, o: Options) {
  const args = [
    `${HERE}torch_reference.py`,
    "--threads",
    String(threads),
    "--models",
    models.join(","),
    "--steps",
    String(o.steps),
    "--warmup",
    String(o.warmup),
    "--max-s",
    String(o.maxS),
  ];
  let r;
  try {
    r = await run(
      await torchPython(),
      args,
      60 + models.length * (o.maxS + o.capS * (o.warmup + 1) + 60),
    );
  } catch (err) {
    throw new BenchError(
      `--compare needs ${await torchPython()} with PyTorch (${TORCH_INSTALL}): ${
        (err as Error).message
      }`,
    );
  }
  if (r.timedOut) {
    // One slow PyTorch measurement does not cost the rest of the table.
    console.error(
      `  ${models.join(",")} in PyTorch, ${threads} thread(s): killed after the time limit ` +
        `(raise --cap-s/--max-s); no PyTorch column for it`,
    );
    return [];
  }
  if (r.code !== 0) {
    const hint = /No module named 'torch'/.test(r.stderr) ? ` (install: ${TORCH_INSTALL})` : "";
    throw new BenchError(
      `bench/torch_reference.py failed (exit ${r.code})${hint}: ${r.stderr.trim().slice(-400)}`,
    );
  }
  return r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l) as TorchResult
  );
}

async function flat(epochs: number, env: Record<string, string>): Promise<FlatResult[]> {
  const out: FlatResult[] = [];
  for (const method of ["concat", "ibml"]) {
    const r = await run(
      Deno.execPath(),
      [
        "run",
        "-A",
        `${V8_FLAGS_ARG},--expose-gc`,
        `${HERE}flat.ts`,
        "--method",
        method,
        "--epochs",
        String(epochs),
      ],
      3600,
      env,
    );
    const line = r.stdout.split("\n").find((l) => l.startsWith("FLAT "));
    if (!line) throw new BenchError(`bench/flat.ts failed: ${r.stderr.trim().slice(-400)}`);
    out.push(JSON.parse(line.slice(5)) as FlatResult);
  }
  return out;
}

async function reproduceWallTime(env: Record<string, string>): Promise<number> {
  const out = await Deno.makeTempDir({ prefix: "ibml-bench-reproduce-" });
  const args = ["run", "-A", V8_FLAGS_ARG, "main.ts", "reproduce", "table2", "--out", out];
  console.error(`timing: deno ${args.join(" ")}`);
  const t0 = performance.now();
  const r = await run(Deno.execPath(), args, 6 * 3600, env);
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) {
    throw new BenchError(`reproduce table2 failed (exit ${r.code}): ${r.stderr.slice(-400)}`);
  }
  await Deno.remove(out, { recursive: true });
  return wall;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      models: { type: "string" },
      backends: { type: "string" },
      steps: { type: "string", default: "20" },
      warmup: { type: "string", default: "2" },
      "cap-s": { type: "string" },
      "max-s": { type: "string" },
      profile: { type: "string", default: "0" },
      stock: { type: "boolean", default: false },
      "blas-threads": { type: "string" },
      compare: { type: "boolean", default: false },
      "torch-threads": { type: "string", default: "1,2" },
      "native-threads": { type: "string" },
      rounds: { type: "string", default: "1" },
      flat: { type: "boolean", default: false },
      epochs: { type: "string", default: "100" },
      reproduce: { type: "boolean", default: false },
      out: { type: "string", default: "results/bench" },
      memory: { type: "boolean", default: false },
      datasets: { type: "string" },
      sizes: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.memory) {
    const sizes = values.sizes?.split(",").map(Number);
    if (sizes?.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new BenchError(`--sizes must be positive integers, got '${values.sizes}'\n${USAGE}`);
    }
    try {
      const sweep = await memorySweep({ datasets: values.datasets?.split(","), sizes });
      console.log(sweepReport(sweep));
    } catch (err) {
      throw new BenchError((err as Error).message);
    }
    return 0;
  }
  const models = values.models ? values.models.split(",") : CASES.map((c) => c.name);
  for (const m of models) {
    if (!CASES.some((c) => c.name === m)) {
      throw new BenchError(`unknown model '${m}'\n${USAGE}`);
    }
  }
  const gpu = await hasWebGpu();
  const backends = values.backends
    ? values.backends.split(",")
    : [...(readNativeManifest() ? ["tensorflow"] : []), "wasm", "cpu", ...(gpu ? ["webgpu"] : [])];
  const env: Record<string, string> = {};
  if (values.stock) env.IBML_FAST_KERNELS = "0";
  // OpenBLAS gets every core here, as PyTorch's widest column does (the harness itself
  // defaults to 1 thread per process, since `reproduce` runs one process per core).
  const blasThreads = values["blas-threads"] ?? String(navigator.hardwareConcurrency ?? 1);
  env.IBML_BLAS_THREADS = blasThreads;
  const o: Options = {
    models,
    backends,
    steps: Number(values.steps),
    warmup: Number(values.warmup),
    ...stepCaps({ compare: values.compare!, capS: values["cap-s"], maxS: values["max-s"] }),
    profile: Number(values.profile),
    env,
  };
  const load = (() => {
    try {
      return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
    } catch {
      return "?";
    }
  })();
  // On a VM, how idle CPUs sleep decides much of the thread scaling (bench/idle.ts).
  const idle = idleNote();
  console.error(
    `bench: ${models.length} models x ${backends.join(", ")}${
      values.stock ? " (stock kernels: IBML_FAST_KERNELS=0)" : `; OpenBLAS threads ${blasThreads}`
    }; load average ${load}${idle ? `; ${idle}` : ""}${gpu ? `; webgpu adapter "${gpu}"` : ""}`,
  );

  // --native-threads: the native engine again with TensorFlow's thread pools at each count
  // (rows with tf_threads set; the plain tensorflow rows use TensorFlow's default: all cores).
  const nativeThreads = values["native-threads"]?.split(",").map(Number) ?? [];
  if (nativeThreads.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new BenchError(
      `--native-threads must be positive integers, got '${values["native-threads"]}'\n${USAGE}`,
    );
  }
  if (nativeThreads.length && !backends.includes("tensorflow")) {
    throw new BenchError(`--native-threads needs --backends to include tensorflow\n${USAGE}`);
  }
  const runs = backends.flatMap((backend) => [
    { backend, threads: undefined as number | undefined },
    ...(backend === "tensorflow" ? nativeThreads.map((threads) => ({ backend, threads })) : []),
  ]);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new BenchError(`--rounds must be a positive integer, got '${values.rounds}'\n${USAGE}`);
  }
  const torchThreads = values.compare ? values["torch-threads"].split(",").map(Number) : [];
  // Each round measures one model in every configuration back to back, so that the ratios
  // (taken within a round) compare measurements minutes apart at most.
  const ours = new Map<string, Row[]>();
  const torchRuns = new Map<string, TorchResult[]>();
  const keep = <T>(map: Map<string, T[]>, key: string, round: number, value: T) => {
    if (!map.has(key)) map.set(key, []);
    map.get(key)![round] = value;
  };
  const ourKey = (model: string, backend: string, threads?: number) =>
    `${model}|${backend}|${threads ?? ""}`;
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1) console.error(`round ${round + 1} of ${rounds}`);
    for (const model of models) {
      for (const { backend, threads } of runs) {
        const threadEnv: Record<string, string> = threads === undefined ? {} : {
          TF_NUM_INTRAOP_THREADS: String(threads),
          TF_NUM_INTEROP_THREADS: String(threads),
        };
        const r: Row = {
          ...await measure(model, backend, { ...o, env: { ...env, ...threadEnv } }),
        };
        if (threads !== undefined) r.tf_threads = threads;
        keep(ours, ourKey(model, backend, threads), round, r);
        console.error(
          `  ${model} on ${backend}${threads === undefined ? "" : ` (TF threads ${threads})`}: ${
            r.status === "ok" ? `${fmt(r.median_ms)} ms/step (${r.steps} steps)` : r.note
          }`,
        );
        if (r.top_kernels) {
          console.error(
            `    ops/step ${r.ops_per_step}; top kernels: ${
              r.top_kernels.map(([n, ms, c]) => `${n} ${fmt(ms)} ms x${c}`).join(", ")
            }`,
          );
        }
      }
      for (const t of torchThreads) {
        const [tr] = await torchProcess([model], t, o);
        if (!tr) continue;
        keep(torchRuns, `${model}|${t}`, round, tr);
        console.error(`  ${model} in PyTorch, ${t} thread(s): ${fmt(tr.median_ms)} ms/step`);
      }
    }
  }
  const results = [...ours.values()].map((rs) => joinRounds(rs.filter(Boolean)));
  const torch = [...torchRuns.values()].map((rs) => joinRounds(rs.filter(Boolean)));
  const errors: string[] = [];
  for (const r of results) {
    if (!r.params) continue;
    for (const t of torch.filter((x) => x.model === r.model)) {
      if (t.params !== r.params) {
        errors.push(
          `parameter count mismatch for ${r.model}: ours ${r.params}, PyTorch ${t.params}`,
        );
      }
    }
  }
  const threads = [...new Set(torch.map((t) => t.threads))].sort();
  const torchOf = (model: string, th: number) =>
    torch.find((t) => t.model === model && t.threads === th);
  // PyTorch's peak RSS for a model: the largest over its thread counts.
  const torchRss = (model: string) => {
    const xs = torch.filter((t) => t.model === model && t.peak_rss_mib).map((t) => t.peak_rss_mib!);
    return xs.length ? Math.max(...xs) : undefined;
  };
  const roundMs = (rs: Timed[] | undefined, stat: StepStat = "median_ms") =>
    perRound(rs, rounds, stat);
  // ours / the better PyTorch thread count, round by round, over each side's round medians or
  // over each side's fastest steps.
  const torchRatio = (r: Row, stat: StepStat = "median_ms") =>
    pairedRatio(
      roundMs(ours.get(ourKey(r.model, r.backend, r.tf_threads)), stat),
      bestPerRound(threads.map((t) => torchRuns.get(`${r.model}|${t}`)), rounds, stat),
    );
  const scaling = (model: string, stat: StepStat) =>
    pairedRatio(
      roundMs(ours.get(ourKey(model, "tensorflow")), stat),
      roundMs(ours.get(ourKey(model, "tensorflow", 1)), stat),
    );
  const header = [
    "model",
    "backend",
    "batch",
    "micro",
    "params",
    "median ms",
    "min ms",
    ...(rounds > 1 ? ["round medians"] : []),
    "steps",
    "ops/step",
    "peak RSS MiB",
    "step peak MiB",
    ...threads.map((t) => `torch ${t}T ms`),
    ...(threads.length ? ["ours/torch", "ours/torch fastest", "torch RSS MiB", "RSS/torch"] : []),
    "note",
  ];
  const rows = results.map((r) => {
    const ts = threads.map((t) => torchOf(r.model, t)?.median_ms);
    return [
      r.model,
      r.tf_threads === undefined ? r.backend : `${r.backend} ${r.tf_threads}T`,
      String(r.batch),
      r.micro ? String(r.micro) : "-",
      String(r.params || "-"),
      fmt(r.median_ms),
      fmt(r.min_ms),
      ...(rounds > 1 ? [r.round_ms.map((x) => fmt(x)).join(" ") || "-"] : []),
      String(r.steps ?? "-"),
      String(r.ops_per_step ?? "-"),
      fmt(r.peak_rss_mib, 0),
      fmt(r.step_peak_mib, 0),
      ...ts.map((x) => fmt(x)),
      ...(threads.length
        ? [
          fmtRatio(torchRatio(r)),
          fmtRatio(torchRatio(r, "min_ms")),
          fmt(torchRss(r.model), 0),
          r.peak_rss_mib && torchRss(r.model) ? fmt(r.peak_rss_mib / torchRss(r.model)!, 2) : "-",
        ]
        : []),
      r.status === "ok" ? "" : r.note ?? r.status,
    ];
  });
  console.log(table(header, rows));
  // PyTorch's own scaling on this machine (its most threads / one thread), as the reference
  // for the native engine's default/1T.
  const torchMost = Math.max(...threads);
  const torchScaling = threads.includes(1) && torchMost > 1
    ? {
      threads: torchMost,
      ratio: (model: string, stat: StepStat) =>
        pairedRatio(
          roundMs(torchRuns.get(`${model}|${torchMost}`), stat),
          roundMs(torchRuns.get(`${model}|1`), stat),
        ),
    }
    : undefined;
  if (nativeThreads.length) console.log(threadScaling(results, scaling, torchScaling));
  if (threads.length) {
    console.log(
      "ours/torch = our median / the better (lower) of PyTorch's medians over the thread counts shown " +
        "(with --rounds: per round, then the median and range over the rounds); fastest: the same " +
        "over each side's fastest step (what interference from other processes cannot slow); " +
        "RSS/torch = our peak RSS / PyTorch's (one process per model on both sides); micro = the " +
        "micro-batch size the step ran in (wasm only, where its 4 GiB heap needs it)",
    );
  }

  let flatResults: FlatResult[] = [];
  if (values.flat) {
    console.error(`  flatness: ${values.epochs} epochs of the quick MLP model (concat, ibml)...`);
    flatResults = await flat(Number(values.epochs), env);
    console.log(
      "\n" + table(
        [
          "method",
          "epochs",
          "steps/epoch",
          "epoch s (2-11)",
          "epoch s (71-80%)",
          "slowdown",
          "tensors",
          "bytes",
          "RSS MiB",
          "JS heap MiB (after GC)",
          "wasm heap MiB",
          "flat",
        ],
        flatResults.map((f) => [
          f.method,
          String(f.epochs),
          String(f.steps_per_epoch),
          fmt(f.early_epoch_s, 3),
          fmt(f.late_epoch_s, 3),
          fmt(f.slowdown, 2),
          `${f.tensors[0]} -> ${f.tensors[1]}`,
          `${f.bytes[0]} -> ${f.bytes[1]}`,
          `${fmt(f.rss_mib[0], 0)} -> ${fmt(f.rss_mib[1], 0)}`,
          `${fmt(f.js_heap_mib[0])} -> ${fmt(f.js_heap_mib[1])}`,
          `${fmt(f.wasm_heap_mib[0], 0)} -> ${fmt(f.wasm_heap_mib[1], 0)}`,
          f.pass ? "yes" : "NO",
        ]),
      ),
    );
    for (const f of flatResults) {
      if (!f.pass) errors.push(`${f.method}: not flat over ${f.epochs} epochs`);
    }
  }

  let reproduceS: number | undefined;
  if (values.reproduce) {
    reproduceS = await reproduceWallTime(env);
    console.log(
      `\nreproduce table2 (quick profile): ${reproduceS.toFixed(0)} s wall (${
        (reproduceS / 60).toFixed(1)
      } min)`,
    );
  }

  await Deno.mkdir(values.out!, { recursive: true });
  const cols = [
    "model",
    "backend",
    "batch",
    "micro",
    "params",
    "status",
    "median_ms",
    "min_ms",
    "first_ms",
    "steps",
    "ops_per_step",
    "peak_rss_mib",
    "huge_mib",
    "step_peak_mib",
    "tf_threads",
    "tensor_mib",
    "num_tensors",
    ...threads.map((t) => `torch_${t}t_ms`),
    "torch_peak_rss_mib",
    "ours_per_torch",
    "ours_per_torch_fastest",
    "rounds",
    "round_ms",
    "note",
  ];
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const lines = [cols.join(",")];
  for (const r of results) {
    const rec = r as unknown as Record<string, unknown>;
    lines.push(
      cols.map((c) => {
        const m = /^torch_(\d+)t_ms$/.exec(c);
        if (c === "torch_peak_rss_mib") return csvCell(torchRss(r.model));
        if (c === "ours_per_torch") return csvCell(torchRatio(r)?.median);
        if (c === "ours_per_torch_fastest") return csvCell(torchRatio(r, "min_ms")?.median);
        if (c === "rounds") return csvCell(r.round_ms.length);
        if (c === "round_ms") return csvCell(r.round_ms.map((x) => x.toFixed(1)).join(" "));
        return csvCell(m ? torchOf(r.model, Number(m[1]))?.median_ms : rec[c]);
      }).join(","),
    );
  }
  for (const f of flatResults) {
    lines.push(
      cols.map((c) =>
        csvCell(
          ({
            model: `flat-${f.method}`,
            backend: f.backend,
            status: f.pass ? "ok" : "not flat",
            median_ms: (1000 * f.late_epoch_s) / f.steps_per_epoch,
            note: `epoch ${f.early_epoch_s.toFixed(3)} s -> ${
              f.late_epoch_s.toFixed(3)
            } s; tensors ${f.tensors.join("->")}`,
          } as Record<string, unknown>)[c],
        )
      ).join(","),
    );
  }
  if (reproduceS !== undefined) {
    lines.push(
      cols.map((c) =>
        csvCell(
          ({
            model: "reproduce-table2",
            status: "ok",
            note: `${reproduceS!.toFixed(1)} s wall`,
          } as Record<string, unknown>)[c],
        )
      ).join(","),
    );
  }
  const text = lines.join("\n") + "\n";
  const runFile = `bench-${stamp}.csv`;
  await Deno.writeTextFile(`${values.out}/${runFile}`, text);
  const latest = await updateLatest(values.out!, text, runFile, values.stock);
  console.error(`wrote ${values.out}/${runFile} (${latest})`);
  if (errors.length) {
    for (const e of errors) console.error(`ERROR: ${e}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    if (err instanceof BenchError) {
      console.error(`bench: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
}
