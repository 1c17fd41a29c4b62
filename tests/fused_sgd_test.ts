/**
 * The fused SGD update (src/optim/fused_sgd.ts) against the op-by-op one (Sgd with
 * `fused: false`): bitwise identical parameters and velocities on wasm and cpu, for every
 * branch (weight decay and momentum on/off), through copy-on-write and in-place steps,
 * without leaking tensors; and the op-by-op fallback where memory is not addressable.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../src/backend/mod.ts";
import type { Param } from "../src/models/params.ts";
import { Sgd, type SgdOptions } from "../src/optim/sgd.ts";
import { fusedSgdStep } from "../src/optim/fused_sgd.ts";
import { seeded, seededParams } from "./numeric.ts";

const SHAPES: number[][] = [[5, 7], [7], [3, 3, 2, 4], [1]];

function makeParams(tag: string): Param[] {
  return seededParams(tag, SHAPES, 10);
}

/** Runs `steps` SGD steps with deterministic gradients; returns params and velocities. */
function train(options: SgdOptions, steps: number): Float32Array[] {
  const params = makeParams(`p${options.fused ? "f" : "o"}`);
  const sgd = new Sgd(params, options);
  const before = tf.memory().numTensors;
  for (let s = 0; s < steps; s++) {
    const grads = new Map(
      params.map((
        p,
        i,
      ) => [p.name, tf.tensor(seeded(p.variable.size, 100 * s + i), p.variable.shape)]),
    );
    sgd.step(grads, 0.1 / (s + 1));
    for (const g of grads.values()) g.dispose();
  }
  assert.equal(tf.memory().numTensors, before, "SGD steps leaked tensors");
  const out = [
    ...params.map((p) => Float32Array.from(p.variable.dataSync())),
    ...[...sgd.state().values()].map((v) => Float32Array.from(v.dataSync())),
  ];
  sgd.dispose();
  for (const p of params) p.variable.dispose();
  return out;
}

const VARIANTS: Omit<SgdOptions, "fused">[] = [
  { momentum: 0.9, weightDecay: 1e-4 },
  { momentum: 0.9, weightDecay: 0 },
  { momentum: 0, weightDecay: 5e-4 },
  { momentum: 0, weightDecay: 0 },
];

Deno.test("fused SGD: bitwise identical to the op-by-op update on wasm and cpu", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await selectBackend(backend);
    for (const v of VARIANTS) {
      const fused = train({ ...v, fused: true }, 6);
      const ops = train({ ...v, fused: false }, 6);
      fused.forEach((a, i) =>
        assert.deepEqual(a, ops[i], `${backend} ${JSON.stringify(v)}: tensor ${i} differs`)
      );
    }
  }
  await selectBackend("wasm");
});

Deno.test("fused SGD: a buffer shared with another tensor is copied, not written in place", async () => {
  await selectBackend("wasm");
  const init = tf.tensor1d([1, 2, 3]);
  const p = tf.variable(init); // shares init's buffer
  const v = tf.variable(tf.zeros([3]));
  const g = tf.tensor1d([1, 1, 1]);
  assert.ok(fusedSgdStep([{ param: p, velocity: v, grad: g }], {
    lr: 0.5,
    momentum: 0.9,
    weightDecay: 0,
  }));
  assert.deepEqual(Array.from(init.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(p.dataSync()), [0.5, 1.5, 2.5]);
  tf.dispose([init, p, v, g]);
});

Deno.test("fused SGD: declines (op-by-op fallback) for non-float32 or mismatched shapes", async () => {
  await selectBackend("wasm");
  const p = tf.variable(tf.zeros([2]));
  const v = tf.variable(tf.zeros([2]));
  const bad = tf.zeros([3]);
  const c = { lr: 0.1, momentum: 0.9, weightDecay: 0 };
  assert.equal(fusedSgdStep([{ param: p, velocity: v, grad: bad }], c), false);
  const int = tf.zeros([2], "int32");
  assert.equal(fusedSgdStep([{ param: p, velocity: v, grad: int }], c), false);
  tf.dispose([p, v, bad, int]);
});
