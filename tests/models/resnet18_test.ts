import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { assertSgdStepChangesAll, maxAbsDiff } from "./backbone_fixtures.ts";
import { ResNet18Encoder } from "../../src/models/resnet18.ts";
import { countParams } from "../../src/models/params.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("ResNet18 audio (1 channel): 11,170,240 parameters, [B, 512] output, BN stats, one SGD step changes every variable", async () => {
  await useTestEngine();
  const enc = new ResNet18Encoder("audio", 1, new Rng(1));
  const params = enc.params();
  console.log(`ResNet18 audio parameters: ${countParams(params)}`);
  assertEquals(countParams(params), 11_170_240);
  assertEquals(params.length, 60); // 20 convs + 20 BNs (gamma, beta)
  assert(params.every((p) => p.group === "encoder.audio" && p.name.startsWith("encoder.audio.")));
  assertEquals(enc.buffers().length, 40);
  const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 1);
  const stem = enc.buffers()[0];
  const before = await stem.data();
  const y = enc.forward(x, false);
  assertEquals(y.shape, [2, 512]);
  assertEquals(Array.from(await stem.data()), Array.from(before)); // eval: stats untouched
  await assertSgdStepChangesAll(params, () => enc.forward(x, true));
  assert((await stem.data()).some((v, i) => v !== before[i]), "training must update running mean");
  // Eval after training uses the running stats: same input, same output twice.
  assert(await maxAbsDiff(enc.forward(x, false), enc.forward(x, false)) === 0);
  assertThrows(() => enc.forward(tf.zeros([2, 32, 32, 3]), false), "1 input channel");
});

Deno.test("ResNet18 visual (3 channels): 11,176,512 parameters; frames [B, T, H, W, 3] averaged over T", async () => {
  await useTestEngine();
  const enc = new ResNet18Encoder("visual", 3, new Rng(2));
  console.log(`ResNet18 visual parameters: ${countParams(enc.params())}`);
  assertEquals(countParams(enc.params()), 11_176_512);
  const frames = tf.randomNormal([2, 3, 32, 32, 3], 0, 1, "float32", 2) as tf.Tensor5D;
  const y = enc.forward(frames, false);
  assertEquals(y.shape, [2, 512]);
  const perFrame = tf.unstack(frames, 1).map((f) => enc.forward(f, false));
  const mean = tf.div(tf.addN(perFrame), 3);
  assert(await maxAbsDiff(y, mean) < 1e-5, "visual features must be the mean over frames");
});
