import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { useWasm } from "./helpers.ts";
import { trainStep } from "../src/train/step.ts";
import { disposeSliceOutput, type StepOptimizer } from "../src/optim/micro_batch.ts";
import type { Grads } from "../src/optim/grads.ts";
import { makeParam } from "../src/models/params.ts";
import type { Method, StepContext } from "../src/methods/types.ts";
import { getMethodEntry, listMethods } from "../src/methods/registry.ts";
import { SpySgd, tinyToyMethod, toyBatch4 } from "./methods/pace_fixtures.ts";

/** A step context around `optimizer` (epoch 1 of 4: inside the modulation windows). */
function ctxOf(optimizer: StepOptimizer): StepContext {
  return {
    epoch: 1,
    step: 0,
    iteration: 1,
    epochs: 4,
    stepsPerEpoch: 2,
    lr: 0.1,
    optimizer,
    share: 1,
    protocolEpoch: 25,
    seed: (...p) => p.length,
  };
}

/**
 * A probe method with two updates per step that records every stage the trainer runs, in
 * order, with the update, the slice size and its share.
 */
function probe(log: string[]): Method {
  const w = makeParam("w", "head", "kernel", new Float32Array([1]), [1]);
  return {
    name: "probe",
    modalities: ["audio"],
    updatesPerStep: 2,
    params: () => [w],
    buffers: () => [],
    plan(batch, ctx, u) {
      log.push(`plan u${u} n${batch.size} share${ctx.share} seed${ctx.seed("x")}`);
      return {
        tapes: [{
          params: [w],
          forward: () => {
            log.push(`forward u${u}`);
            const loss = tf.mean(tf.mul(batch.inputs.audio, w.variable)) as tf.Scalar;
            return { loss, aux: null };
          },
        }],
        change([r]) {
          log.push(`change u${u} grads${r.grads.size}`);
          const z = tf.zeros([batch.size, 2]) as tf.Tensor2D;
          return {
            grads: r.grads,
            out: { loss: r.loss, fused: z, unimodal: { audio: z.clone() }, logs: { k: u } },
          };
        },
      };
    },
    finishUpdate(grads, out, _ctx, u) {
      log.push(`finish u${u} g${grads.get("w")!.dataSync()[0]} n${out.fused.shape[0]}`);
      return grads;
    },
    joinUpdates(outs) {
      log.push(`join ${outs.length}`);
      for (const o of outs.slice(1)) disposeSliceOutput(o);
      return outs[0];
    },
    predict: () => ({ fused: null, unimodal: {} }),
    dispose: () => w.variable.dispose(),
  };
}

Deno.test("step: the stages run in order per update: plan, forward, change per slice, then finish and ONE optimizer step", async () => {
  await useWasm();
  const log: string[] = [];
  const method = probe(log);
  const optimizer: StepOptimizer = {
    step: (g: Grads, lr: number) => void log.push(`step lr${lr} g${g.get("w")!.dataSync()[0]}`),
  };
  const batch = {
    inputs: { audio: tf.tensor2d([[1], [2], [3], [6]]) },
    labels: tf.tensor1d([0, 1, 0, 1], "int32"),
    indices: tf.tensor1d([0, 1, 2, 3], "int32"),
    size: 4,
  };
  const before = tf.memory().numTensors;
  const out = trainStep(method, batch, ctxOf(optimizer), 2);
  // d mean(x w) / dw per slice: 1.5 and 4.5; the step's gradient is their share-weighted sum 3.
  const slice = (u: number) => [
    `plan u${u} n2 share0.5 seed3`,
    `forward u${u}`,
    `change u${u} grads1`,
  ];
  assertEquals(log, [
    ...slice(0),
    ...slice(0),
    "finish u0 g3 n4",
    "step lr0.1 g3",
    ...slice(1),
    ...slice(1),
    "finish u1 g3 n4",
    "step lr0.1 g3",
    "join 2",
  ]);
  assertEquals(out.fused.shape, [4, 2]);
  disposeSliceOutput(out);
  assertEquals(tf.memory().numTensors, before, "no tensor left behind");
  // A whole batch: one slice with share 1 and the batch's own seed, no accumulation.
  log.length = 0;
  disposeSliceOutput(trainStep(method, batch, ctxOf(optimizer)));
  assertEquals(log.slice(0, 5), [
    "plan u0 n4 share1 seed1",
    "forward u0",
    "change u0 grads1",
    "finish u0 g3 n4",
    "step lr0.1 g3",
  ]);
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([batch.inputs.audio, batch.labels, batch.indices]);
  method.dispose();
});

for (const { name } of listMethods()) {
  Deno.test(`step: ${name} steps once per update and leaves no tensor behind, whole and in micro-batches`, async () => {
    await useWasm();
    const method = tinyToyMethod(getMethodEntry(name), 3);
    const spy = new SpySgd(method, 0.9, 1e-4);
    const batch = toyBatch4();
    const counts: number[] = [];
    for (const micro of [0, 2, 0, 2]) {
      const out = trainStep(method, batch, ctxOf(spy), micro);
      assertEquals(out.fused.shape, [4, 3], `${name}: fused logits of the whole batch`);
      assert(Number.isFinite(out.loss.dataSync()[0]), `${name}: finite loss`);
      disposeSliceOutput(out);
      counts.push(tf.memory().numTensors);
    }
    const updates = method.updatesPerStep ?? 1;
    assertEquals(spy.seen.length, 4 * updates, `${name}: ${updates} optimizer step(s) per step`);
    assertEquals(counts[2], counts[0], `${name}: whole-batch steps leak no tensor`);
    assertEquals(counts[3], counts[1], `${name}: micro-batched steps leak no tensor`);
    spy.dispose();
    method.dispose();
    tf.dispose([...Object.values(batch.inputs), batch.labels, batch.indices]);
  });
}
