import { useWasm } from "../helpers.ts";
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertThrows } from "../assert.ts";
import { cosineLogits, l2Normalize } from "../../src/methods/mmcosine.ts";
import { crossEntropy } from "../../src/optim/grads.ts";
import {
  batchOf,
  checkShortRun,
  createWith,
  paramValues,
  setParam,
  SpySgd,
  stepCtx,
  TestEncoder,
} from "./pace_fixtures.ts";
import { trainStep } from "../../src/train/step.ts";

const R2 = Math.SQRT1_2;

function near(actual: number[][], expected: number[][], tol: number, msg: string): void {
  expected.forEach((row, i) =>
    row.forEach((v, j) => assertAlmostEquals(actual[i][j], v, tol, `${msg}[${i}][${j}]`))
  );
}

Deno.test("mmcosine: g = s * cos(f, W column), no bias, F.normalize eps", async () => {
  await useWasm();
  // Class columns of W: (1, 0), (0, 2) -> (0, 1), (1, 1) -> (1, 1)/sqrt 2.
  const w = tf.tensor2d([[1, 0, 1], [0, 2, 1]]);
  // f rows: (3, 4) -> (.6, .8); (1, 0); (0, 0) stays 0 (x / max(||x||, 1e-12)).
  const f = tf.tensor2d([[3, 4], [1, 0], [0, 0]]);
  const g = await cosineLogits(f, w, 10).array();
  near(g, [[6, 8, 10 * 1.4 * R2], [10, 0, 10 * R2], [0, 0, 0]], 1e-5, "g");
  near(await l2Normalize(tf.tensor2d([[3, 4]]), 1).array(), [[0.6, 0.8]], 1e-7, "normalize");
});

/** Identity encoders (features = inputs, 2-d each), 3 classes; kernel rows: audio 0-1, visual 2-3. */
function fixedMethod(sets: string[] = []) {
  const method = createWith(
    "mmcosine",
    {
      audio: new TestEncoder("audio", 2),
      visual: new TestEncoder("visual", 2),
    },
    3,
    sets,
  );
  setParam(method, "head.fc.kernel", [[1, 0, 1], [0, 2, 1], [2, 0, 0], [0, 0, 3]]);
  setParam(method, "head.fc.bias", [5, -5, 0]);
  return method;
}
const X = { audio: [[3, 4], [1, 0]], visual: [[0, 2], [1, 1]] };
// audio: as in the first test, s = 10: [[6, 8, 9.899], [10, 0, 7.071]].
// visual columns (1, 0), (0, 0) -> 0 (eps), (0, 1): x (0, 1) -> [0, 0, 10]; (1, 1)/sqrt2 -> [7.071, 0, 7.071].
const G_AUDIO = [[6, 8, 14 * R2], [10, 0, 10 * R2]];
const G_VISUAL = [[0, 0, 10], [10 * R2, 0, 10 * R2]];
const G_SUM = [[6, 8, 14 * R2 + 10], [10 + 10 * R2, 0, 20 * R2]];

Deno.test("mmcosine: predict gives cosine unimodal logits and their sum as fused (bias unused)", async () => {
  await useWasm();
  const method = fixedMethod();
  const b = batchOf(X, [0, 1]);
  const p = method.predict(b.inputs);
  near(await p.unimodal.audio.array(), G_AUDIO, 1e-4, "audio");
  near(await p.unimodal.visual.array(), G_VISUAL, 1e-4, "visual");
  near(await p.fused!.array(), G_SUM, 1e-4, "fused");
  method.dispose();
});

Deno.test("mmcosine: fused_eval=linear gives the official raw linear head [f_a; f_v] W + b", async () => {
  await useWasm();
  const method = fixedMethod(["method.fused_eval=linear"]);
  const p = method.predict(batchOf(X, [0, 1]).inputs);
  // Row 0: [3,4,0,2] W + b = [3, 8, 3 + 4 + 6] + [5, -5, 0]; row 1: [1,0,1,1] W + b.
  near(await p.fused!.array(), [[8, 3, 13], [8, -5, 4]], 1e-4, "linear fused");
  near(await p.unimodal.audio.array(), G_AUDIO, 1e-4, "unimodal stays cosine");
  method.dispose();
  assertThrows(() => fixedMethod(["method.fused_eval=bogus"]), "fused_eval");
});

Deno.test("mmcosine: loss = CE(sum of cosine logits); the bias gets no gradient and stays", async () => {
  await useWasm();
  const method = fixedMethod();
  const b = batchOf(X, [0, 1]);
  const opt = new SpySgd(method);
  const before = paramValues(method);
  const out = await trainStep(method, b, stepCtx(opt));
  const ce = (await crossEntropy(tf.tensor2d(G_SUM), b.labels).data())[0];
  assertAlmostEquals((await out.loss.data())[0], ce, 1e-4);
  near(await out.fused.array(), G_SUM, 1e-4, "train fused");
  const grads = opt.seen[0];
  assert(!grads.has("head.fc.bias"), "bias must get no gradient");
  assert(grads.has("head.fc.kernel"), "kernel must get a gradient");
  const after = paramValues(method);
  assertAlmostEquals(after.get("head.fc.bias")![0], 5, 0);
  assert(
    after.get("head.fc.kernel")!.some((v, i) => v !== before.get("head.fc.kernel")![i]),
    "kernel must move",
  );
  method.dispose();
});

Deno.test("mmcosine: short training run on the crema-d stand-in writes a complete record", async () => {
  await useWasm();
  await checkShortRun("mmcosine");
  await checkShortRun("mmcosine", ["method.fused_eval=linear", "method.scaling=15"]);
});
