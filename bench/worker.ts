/**
 * One benchmark measurement in its own process (so peak RSS belongs to one model on one
 * backend): `deno run -A bench/worker.ts --model M --backend B [--steps N] [--warmup W]
 * [--cap-ms T] [--max-s S] [--profile K]`. Prints `STARTED` before and `FIRST <ms>` after the
 * first step, then one line `BENCH {json}` on stdout.
 *
 * - warm-up steps first (at least `--warmup` and at least 1 s; the first one also checks the
 *   per-step time cap: a model whose first step exceeds `--cap-ms` is reported as skipped),
 *   then at least N timed steps and at least 1 s of them (stopping early after `--max-s`
 *   seconds once 3 are timed), median and min reported;
 * - memory: peak RSS (VmHWM from /proc/self/status, else the largest sampled RSS), the
 *   tensor bytes after the steps and the in-step peak from one `tf.profile` step;
 * - `--profile K`: the K most expensive kernels of that profiled step and the op count.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { type BackendRequest, selectBackend } from "../src/backend/mod.ts";
import { hugePagesMib } from "../src/backend/huge_pages.ts";
import { caseByName, microBatchOf } from "./cases.ts";
import { median } from "./median.ts";

/** What one measurement reports (one JSON line). */
export interface WorkerResult {
  /** Model name. */
  model: string;
  /** tfjs backend that ran it. */
  backend: string;
  /** Batch size. */
  batch: number;
  /** Micro-batch size the step ran in (0 or absent: whole batches). */
  micro?: number;
  /** Trainable parameters. */
  params: number;
  /** "ok", "skipped" (over the time cap) or "error". */
  status: "ok" | "skipped" | "error";
  /** Why skipped / what failed. */
  note?: string;
  /** Timed steps. */
  steps?: number;
  /** Median step time (ms). */
  median_ms?: number;
  /** Fastest step (ms). */
  min_ms?: number;
  /** First (cold) step (ms). */
  first_ms?: number;
  /** Peak resident set size of the process (MiB). */
  peak_rss_mib?: number;
  /** Memory in transparent huge pages after the steps (MiB; src/backend/huge_pages.ts). */
  huge_mib?: number;
  /** tf.memory().numBytes after the timed steps (MiB). */
  tensor_mib?: number;
  /** Peak tensor bytes inside one profiled step (MiB). */
  step_peak_mib?: number;
  /** Tensors alive after the timed steps. */
  num_tensors?: number;
  /** Kernels run by one step. */
  ops_per_step?: number;
  /** Most expensive kernels of the profiled step: [name, ms, calls]. */
  top_kernels?: [string, number, number][];
  /** Extra backend details (e.g. the BLAS state). */
  extras?: Record<string, string>;
}

function peakRssMib(sampled: number): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return sampled / 2 ** 20;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string" },
      backend: { type: "string", default: "wasm" },
      steps: { type: "string", default: "20" },
      warmup: { type: "string", default: "3" },
      "cap-ms": { type: "string", default: "20000" },
      "max-s": { type: "string", default: "30" },
      profile: { type: "string", default: "0" },
    },
  });
  const c = caseByName(values.model ?? "");
  const steps = Number(values.steps);
  const warmup = Math.max(1, Number(values.warmup));
  const capMs = Number(values["cap-ms"]);
  const maxMs = Number(values["max-s"]) * 1000;
  const topK = Number(values.profile);
  const choice = await selectBackend(values.backend as BackendRequest);
  const result: WorkerResult = {
    model: c.name,
    backend: choice.name,
    batch: c.batch,
    micro: microBatchOf(c),
    params: 0,
    status: "ok",
  };
  const extras = (globalThis as { __ibmlBenchExtras?: () => Record<string, string> })
    .__ibmlBenchExtras;
  const runner = await c.setup();
  result.params = runner.params;
  let rssMax = Deno.memoryUsage().rss;
  console.log("STARTED"); // bench/main.ts kills the process if FIRST does not follow in time
  const t0 = performance.now();
  await runner.step();
  result.first_ms = performance.now() - t0;
  console.log(`FIRST ${result.first_ms.toFixed(0)}`);
  if (result.first_ms > capMs) {
    result.status = "skipped";
    result.note = `first step took ${(result.first_ms / 1000).toFixed(1)} s > cap ${
      capMs / 1000
    } s`;
  } else {
    // Warm-up: at least `warmup` steps and at least 1 s (the JIT needs a few hundred fast
    // steps to reach its optimised code; a training run does thousands).
    const w0 = performance.now();
    for (let i = 1; i < warmup || (performance.now() - w0 < 1000 && i < 500); i++) {
      await runner.step();
    }
    // Timed: at least `steps` steps and, for fast models, at least 1 s of steps (at most
    // 1000); stop early after `--max-s` once 3 steps are timed.
    const times: number[] = [];
    const start = performance.now();
    for (;;) {
      const elapsed = performance.now() - start;
      if (times.length >= 3 && elapsed > maxMs) break;
      if (times.length >= steps && (elapsed > 1000 || times.length >= 1000)) break;
      const t = performance.now();
      await runner.step();
      times.push(performance.now() - t);
      rssMax = Math.max(rssMax, Deno.memoryUsage().rss);
    }
    result.steps = times.length;
    result.median_ms = median(times);
    result.min_ms = Math.min(...times);
    const mem = tf.memory();
    result.tensor_mib = mem.numBytes / 2 ** 20;
    result.num_tensors = mem.numTensors;
    const prof = await tf.profile(async () => void await runner.step());
    result.step_peak_mib = prof.peakBytes / 2 ** 20;
    result.ops_per_step = prof.kernels.length;
    if (topK > 0) {
      const byName = new Map<string, [number, number]>();
      for (const k of prof.kernels) {
        const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
        const e = byName.get(k.name) ?? [0, 0];
        byName.set(k.name, [e[0] + ms, e[1] + 1]);
      }
      result.top_kernels = [...byName.entries()]
        .map(([n, [ms, calls]]) =>
          [n, Math.round(ms * 100) / 100, calls] as [string, number, number]
        )
        .sort((a, b) => b[1] - a[1])
        .slice(0, topK);
    }
  }
  result.peak_rss_mib = peakRssMib(rssMax);
  result.huge_mib = hugePagesMib();
  if (extras) result.extras = extras();
  runner.dispose();
  console.log(`BENCH ${JSON.stringify(result)}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error(err instanceof Error ? err.stack ?? err.message : String(err));
    Deno.exit(1);
  }
}
