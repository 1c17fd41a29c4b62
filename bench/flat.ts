/**
 * Flatness check (a benchmark, not a unit test): trains the quick-profile MLP model with the
 * real trainer (src/train/trainer.ts) for many epochs on the crema-d stand-in and records,
 * after every epoch, its wall time, `tf.memory()` (tensors, bytes) and the process RSS.
 * Passes when the tensor count and bytes, and the wasm heap's size, are the same after
 * epoch 2 and after the last epoch, and the median time of epochs 0.7E-0.8E (E = epochs; 71-80 of 100) is within 25% of
 * the median of epochs 2-11 (epoch 1 warms up). That late window, not the last epochs, so
 * that IBML compares like with like: its modulation (BIO, TCM) stops after protocol epoch 90.
 *
 * `deno run -A --v8-flags=--expose-gc bench/flat.ts [--method concat] [--epochs 100]
 * [--backend wasm]`; prints one line `FLAT {json}` on stdout (bench/main.ts --flat runs it).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { type BackendRequest, selectBackend } from "../src/backend/mod.ts";
import { loadDataset } from "../src/data/registry.ts";
import { getMethodEntry } from "../src/methods/registry.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";
import { train } from "../src/train/trainer.ts";
import { methodContext } from "../src/methods/context.ts";
import { median } from "./median.ts";

/** What the flatness check reports. */
export interface FlatResult {
  /** Method trained. */
  method: string;
  /** Backend. */
  backend: string;
  /** Epochs run. */
  epochs: number;
  /** Optimisation steps per epoch. */
  steps_per_epoch: number;
  /** Median wall time of epochs 2-11 (s). */
  early_epoch_s: number;
  /** Median wall time of epochs 0.7E+1..0.8E (s). */
  late_epoch_s: number;
  /** late / early. */
  slowdown: number;
  /** numTensors after epoch 2 and after the last epoch. */
  tensors: [number, number];
  /** tf.memory().numBytes after epoch 2 and after the last epoch. */
  bytes: [number, number];
  /** Process RSS (MiB) after epoch 2 and after the last epoch (reported, not judged: it
   * includes V8's heap sizing). */
  rss_mib: [number, number];
  /** V8 heap used (MiB) after epoch 2 and after the last epoch (after a full GC when run
   * with `--v8-flags=--expose-gc`, as bench/main.ts does). */
  js_heap_mib: [number, number];
  /** Size of the wasm backend's heap (MiB; it only grows) after epoch 2 and at the end. */
  wasm_heap_mib: [number, number];
  /** Whether the run stayed flat. */
  pass: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      method: { type: "string", default: "concat" },
      epochs: { type: "string", default: "100" },
      backend: { type: "string", default: "wasm" },
    },
  });
  const epochs = Math.max(12, Number(values.epochs));
  const choice = await selectBackend(values.backend as BackendRequest);
  const cfg = resolveConfig({ method: values.method!, dataset: "crema-d", epochs });
  const dataset = await loadDataset(cfg);
  const method = getMethodEntry(cfg.method.name).create(
    methodContext(cfg, dataset.info, dataset.train),
  );
  const walls: number[] = [], tensors: number[] = [], bytes: number[] = [], rss: number[] = [];
  const jsHeap: number[] = [], wasmHeap: number[] = [];
  const heapOf = () =>
    ((tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0) /
    2 ** 20;
  await train({
    config: cfg,
    dataset,
    method,
    sink: {
      epochDone(state) {
        const row = state.rows[state.rows.length - 1];
        walls.push(row.wall_s as number);
        const m = tf.memory();
        tensors.push(m.numTensors);
        bytes.push(m.numBytes);
        (globalThis as { gc?: () => void }).gc?.();
        const mu = Deno.memoryUsage();
        rss.push(mu.rss / 2 ** 20);
        jsHeap.push(mu.heapUsed / 2 ** 20);
        wasmHeap.push(heapOf());
        return Promise.resolve();
      },
    },
  });
  method.dispose();
  dataset.dispose();
  const lateEnd = Math.floor(0.8 * epochs);
  const early = median(walls.slice(1, 11));
  const late = median(walls.slice(Math.max(11, lateEnd - 10), lateEnd));
  const last = walls.length - 1;
  const result: FlatResult = {
    method: cfg.method.name,
    backend: choice.name,
    epochs,
    steps_per_epoch: Math.ceil(dataset.train.size / cfg.train.batch_size),
    early_epoch_s: early,
    late_epoch_s: late,
    slowdown: late / early,
    tensors: [tensors[1], tensors[last]],
    bytes: [bytes[1], bytes[last]],
    rss_mib: [rss[1], rss[last]],
    js_heap_mib: [jsHeap[1], jsHeap[last]],
    wasm_heap_mib: [wasmHeap[1], wasmHeap[last]],
    pass: tensors[1] === tensors[last] && bytes[1] === bytes[last] && late / early <= 1.25 &&
      wasmHeap[last] === wasmHeap[1],
  };
  console.log(`FLAT ${JSON.stringify(result)}`);
}

if (import.meta.main) await main();
