import { assertAlmostEquals } from "./assert.ts";
import * as tf from "@tensorflow/tfjs";
import { makeParam } from "../src/models/params.ts";
import { Sgd } from "../src/optim/sgd.ts";
import { useWasm } from "./helpers.ts";

Deno.test("Sgd: two steps match a hand-computed PyTorch SGD (momentum 0.9, weight decay inside the step)", async () => {
  await useWasm();
  const p = makeParam("w", "head", "kernel", Float32Array.of(1, -2), [2]);
  const opt = new Sgd([p], { momentum: 0.9, weightDecay: 0.01 });
  // step 1: g' = g + wd p = [0.51, 0.08]; v = g'; p = p - 0.1 v = [0.949, -2.008]
  opt.step(new Map([["w", tf.tensor1d([0.5, 0.1])]]), 0.1);
  let v = await p.variable.data();
  assertAlmostEquals(v[0], 0.949, 1e-6);
  assertAlmostEquals(v[1], -2.008, 1e-6);
  // step 2: g' = [0.2 + 0.00949, -0.3 - 0.02008]; v = 0.9 v + g' = [0.66849, -0.24808]
  opt.step(new Map([["w", tf.tensor1d([0.2, -0.3])]]), 0.1);
  v = await p.variable.data();
  assertAlmostEquals(v[0], 0.882151, 1e-6);
  assertAlmostEquals(v[1], -1.983192, 1e-6);
  const vel = await opt.state().get("w")!.data();
  assertAlmostEquals(vel[0], 0.66849, 1e-6);
  opt.dispose();
  p.variable.dispose();
});

Deno.test("Sgd: a parameter without a gradient is untouched (no decay, no momentum)", async () => {
  await useWasm();
  const a = makeParam("a", "head", "kernel", Float32Array.of(1), [1]);
  const b = makeParam("b", "head", "kernel", Float32Array.of(3), [1]);
  const opt = new Sgd([a, b], { momentum: 0.9, weightDecay: 0.5 });
  opt.step(new Map([["a", tf.tensor1d([1])]]), 0.1);
  opt.step(new Map([["a", tf.tensor1d([0])]]), 0.1);
  assertAlmostEquals((await b.variable.data())[0], 3, 0);
  opt.dispose();
  a.variable.dispose();
  b.variable.dispose();
});
