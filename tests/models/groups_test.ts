import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { mapGroups, splitGroups } from "../../src/models/groups.ts";

Deno.test("groups: split in order, one group is the batch itself, mapGroups joins in order; both differentiable with one group and with several", async () => {
  await useTestEngine();
  const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]);
  assertEquals(splitGroups(x, 3).map((p) => p.shape), [[2, 2], [2, 2], [2, 2]]);
  assertEquals(Array.from(splitGroups(x, 3)[2].dataSync()), [9, 10, 11, 12]);
  assertEquals(splitGroups(x, 1)[0], x);
  // Each group scaled by its own first value: the order of the join is the order of the split.
  const byFirst = (a: tf.Tensor2D) => tf.div(a, tf.slice(a, [0, 0], [1, 1])) as tf.Tensor2D;
  assertEquals(
    Array.from(mapGroups(x, 3, byFirst).dataSync()).map((v) => +v.toFixed(3)),
    [
      1,
      2,
      3,
      4,
      1,
      1.2,
      1.4,
      1.6,
      1,
      1.1111,
      1.2222,
      1.3333,
    ].map((v) => +v.toFixed(3)),
  );
  for (const groups of [1, 3]) {
    // d/dx sum over groups of sum(part^2) = 2x, whatever the grouping.
    const g = tf.grad((a: tf.Tensor) =>
      tf.addN(splitGroups(a, groups).map((p) => tf.sum(tf.square(p))))
    )(x);
    assertEquals(Array.from(g.dataSync()), Array.from(x.dataSync()).map((v) => 2 * v));
    const h = tf.grad((a: tf.Tensor) => tf.sum(mapGroups(a, groups, (p) => tf.square(p))))(x);
    assertEquals(Array.from(h.dataSync()), Array.from(x.dataSync()).map((v) => 2 * v));
  }
});
