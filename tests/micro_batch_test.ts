import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { loadDataset } from "../src/data/registry.ts";
import { getMethodEntry } from "../src/methods/registry.ts";
import { ConfigError } from "../src/config/error.ts";
import { configHash } from "../src/config/hash.ts";
import type { RunConfig } from "../src/config/types.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";
import type { Grads } from "../src/optim/grads.ts";
import {
  GradAccumulator,
  resolveMicroBatch,
  sliceBatch,
  type StepOptimizer,
} from "../src/optim/micro_batch.ts";
import { train } from "../src/train/trainer.ts";
import { tinyConfig, useWasm } from "./helpers.ts";
import { methodContext } from "../src/methods/context.ts";

/** Trains `cfg` directly and returns every parameter's values and the epoch rows. */
async function trained(cfg: RunConfig, microBatch: number) {
  const dataset = await loadDataset(cfg);
  const method = getMethodEntry(cfg.method.name).create(
    methodContext(cfg, dataset.info, dataset.train),
  );
  const result = await train({ config: cfg, dataset, method, microBatch });
  const params: Record<string, Float32Array> = {};
  for (const p of method.params()) params[p.name] = await p.variable.data() as Float32Array;
  method.dispose();
  dataset.dispose();
  return { params, rows: result.rows };
}

Deno.test("micro_batch: concat (a mean loss, no batch coupling) trains to the whole-batch parameters", async () => {
  await useWasm();
  // 240 samples, batch 64: steps of 64, 64, 64, 48; slices of 16 (the last batch 3 x 16).
  const cfg = tinyConfig("concat", 2);
  const whole = await trained(cfg, 0);
  const micro = await trained(cfg, 16);
  let worst = 0;
  for (const [name, a] of Object.entries(whole.params)) {
    const b = micro.params[name];
    let diff = 0, norm = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      norm = Math.max(norm, Math.abs(a[i]));
    }
    worst = Math.max(worst, diff / Math.max(norm, 1e-6));
  }
  // Same update up to float summation order (two epochs of SGD with momentum).
  assert(worst < 1e-4, `largest relative parameter difference ${worst}`);
  for (const [i, row] of whole.rows.entries()) {
    const other = micro.rows[i];
    assert(
      Math.abs(row.train_loss - other.train_loss) < 1e-4,
      `loss ${row.train_loss} vs ${other.train_loss}`,
    );
    assertEquals(row.train_acc_fusion, other.train_acc_fusion);
    assert(
      Math.abs((row.ratio_mean as number) - (other.ratio_mean as number)) < 1e-4,
      `ratio ${row.ratio_mean} vs ${other.ratio_mean}`,
    );
  }
});

Deno.test("micro_batch: a coupled method (ibml) runs in slices, deterministically, and differs from whole batches", async () => {
  await useWasm();
  const cfg = tinyConfig("ibml", 3);
  const a = await trained(cfg, 16);
  const b = await trained(cfg, 16);
  assertEquals(a.rows.map(({ wall_s: _w, ...r }) => r), b.rows.map(({ wall_s: _w, ...r }) => r));
  for (const row of a.rows) assert(Number.isFinite(row.train_loss));
  const whole = await trained(cfg, 0);
  // IBML's a_m and TCM noise are per slice: the trajectory is a different one.
  assert(
    JSON.stringify(whole.params) !== JSON.stringify(a.params),
    "per-slice batch statistics must change IBML's updates",
  );
});

Deno.test("micro_batch: the accumulator hands one size-weighted sum to the optimizer", async () => {
  await useWasm();
  const seen: { grads: Record<string, number[]>; lr: number }[] = [];
  const target: StepOptimizer = {
    step(grads: Grads, lr: number) {
      const g: Record<string, number[]> = {};
      for (const [k, t] of grads) g[k] = Array.from(t.dataSync());
      seen.push({ grads: g, lr });
    },
  };
  const acc = new GradAccumulator(target);
  const a = new Map([["w", tf.tensor1d([1, 2])], ["b", tf.tensor1d([4])]]);
  const b = new Map([["w", tf.tensor1d([3, 6])], ["b", tf.tensor1d([8])]]);
  acc.weight = 0.25;
  acc.step(a, 0.1);
  acc.weight = 0.75;
  acc.step(b, 0.1);
  assertEquals(seen.length, 0);
  const before = tf.memory().numTensors;
  acc.apply();
  assertEquals(seen, [{ grads: { w: [2.5, 5], b: [7] }, lr: 0.1 }]);
  assert(tf.memory().numTensors < before, "the sums are freed after apply");
  acc.step(a, 0.1);
  assertThrows(() => acc.step(b, 0.2), "different learning rates");
  acc.dispose();
  for (const t of [...a.values(), ...b.values()]) t.dispose();
});

Deno.test("micro_batch: slices cover the batch in order", async () => {
  await useWasm();
  const cfg = tinyConfig("concat", 1);
  const dataset = await loadDataset(cfg);
  const idx = new Int32Array([5, 1, 7, 3, 9]);
  const batch = dataset.train.batch(idx, { train: true, seed: 1 });
  const parts = sliceBatch(batch, 2);
  assertEquals(parts.map((p) => p.size), [2, 2, 1]);
  assertEquals(Array.from(tf.concat(parts.map((p) => p.indices)).dataSync()), [5, 1, 7, 3, 9]);
  for (const m of Object.keys(batch.inputs)) {
    const joined = tf.concat(parts.map((p) => p.inputs[m]));
    assertEquals(Array.from(joined.dataSync()), Array.from(batch.inputs[m].dataSync()));
  }
  dataset.dispose();
});

Deno.test("micro_batch: config values, auto resolution and hashes", () => {
  const quick = resolveConfig({ method: "ibml", dataset: "crema-d" });
  assertEquals(quick.train.micro_batch, 0);
  const paper = resolveConfig({ method: "ibml", dataset: "crema-d", profile: "paper" });
  assertEquals(paper.train.micro_batch, "auto");
  assertEquals(resolveMicroBatch(paper, "wasm"), 4);
  assertEquals(resolveMicroBatch(paper, "tensorflow"), 0);
  assertEquals(resolveMicroBatch(paper, "webgpu"), 0);
  assertEquals(resolveMicroBatch(quick, "wasm"), 0);
  const set = (v: string) =>
    resolveConfig({ method: "ibml", dataset: "crema-d", sets: [`train.micro_batch=${v}`] });
  assertEquals(set("16").train.micro_batch, 16);
  assertEquals(resolveMicroBatch(set("16"), "wasm"), 16);
  assertEquals(resolveMicroBatch(set("64"), "wasm"), 0, "a slice as large as the batch is off");
  assertEquals(set("auto").train.micro_batch, "auto");
  assert(assertThrows(() => set("-2"), "train.micro_batch") instanceof ConfigError);
  assert(assertThrows(() => set("2.5"), "train.micro_batch") instanceof ConfigError);
  assert(assertThrows(() => set("some"), "auto or a non-negative integer") instanceof ConfigError);
  // Whole batches hash as before the key existed; anything else is another configuration.
  const { micro_batch: _m, ...trainWithout } = quick.train;
  assertEquals(configHash(quick), configHash({ ...quick, train: trainWithout } as RunConfig));
  assert(configHash(set("16")) !== configHash(quick));
});
