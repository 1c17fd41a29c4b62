/**
 * The native engine's in-place SGD (src/optim/native_sgd.ts) against the op-by-op update
 * (Sgd with `fused: false`): bitwise identical parameters and velocities over steps with a
 * changing learning rate, through a parameter assigned between steps and one whose data
 * another tensor shares (which keeps its values); TensorFlow's fused op replaces the six elementwise ops; no tensor
 * leaks; the caller's gradients keep their values (the weight decay is added in a variable of
 * its own, or read by ibml's `IbmlApplyMomentumDecay`, which the native suite runs, and its
 * second pass with `IBML_CUSTOM_OPS=0` does not); the values stay readable after the
 * optimizer is disposed. Native suite only: on the
 * other engines `NativeSgd.create()` is null (its doc test) and tests/fused_sgd_test.ts
 * covers their fused update.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { TEST_ENGINE, useTestEngine } from "./helpers.ts";
import { seeded, seededParams } from "./numeric.ts";
import type { Param } from "../src/models/params.ts";
import { customOpsLoaded, loadCustomOps } from "../src/kernels/custom_ops.ts";
import { NativeSgd } from "../src/optim/native_sgd.ts";
import { Sgd } from "../src/optim/sgd.ts";

const SHAPES = [[64, 33], [33], [3, 3, 4, 5]];

const params = (tag: string): Param[] => seededParams(tag, SHAPES, 3);

Deno.test({
  name:
    "native SGD: bitwise the op-by-op update (lr schedule, weight decay, an assign between steps, shared data); one fused op instead of six" +
    (TEST_ENGINE === "tensorflow" ? "" : " (IGNORED: native engine only; deno task test:native)"),
  ignore: TEST_ENGINE !== "tensorflow",
  fn: async () => {
    await useTestEngine();
    assert(NativeSgd.create() !== null, "the native engine's CPU runs the in-place update");
    // The decayed update is ibml's one op unless the second pass switched the library off.
    const wanted = Deno.env.get("IBML_CUSTOM_OPS") !== "0";
    assertEquals(customOpsLoaded(), wanted, `ibml's ops: ${loadCustomOps().note}`);
    const [pa, pb] = [params("a"), params("b")];
    const options = { momentum: 0.9, weightDecay: 1e-4 };
    const [ops, fused] = [
      new Sgd(pa, { ...options, fused: false }),
      new Sgd(pb, { ...options, fused: true }),
    ];
    const before = tf.memory().numTensors;
    const values = async (ps: Param[], sgd: Sgd) => [
      ...await Promise.all(ps.map((p) => p.variable.data())),
      ...await Promise.all([...sgd.state().values()].map((v) => v.data())),
    ];
    for (let s = 0; s < 6; s++) {
      if (s === 3) {
        // A restored checkpoint: new parameter and velocity values between two steps.
        for (const [ps, sgd] of [[pa, ops], [pb, fused]] as const) {
          const [p, v] = [
            tf.tensor(seeded(64 * 33, 77), [64, 33]),
            tf.tensor(seeded(64 * 33, 78), [64, 33]),
          ];
          ps[0].variable.assign(p);
          [...sgd.state().values()][0].assign(v);
          tf.dispose([p, v]);
        }
      }
      const grads = (ps: Param[]) =>
        new Map(
          ps.map((
            p,
            i,
          ) => [p.name, tf.tensor(seeded(p.variable.size, 50 * s + i), p.variable.shape)]),
        );
      const [ga, gb] = [grads(pa), grads(pb)];
      const lr = 0.1 / (s + 1);
      ops.step(ga, lr);
      // A tensor that shares the third parameter's data (a variable made from it) must keep
      // its values: that parameter takes the op-by-op update.
      const kept = tf.variable(pb[2].variable, false);
      const keptBefore = Array.from(await kept.data());
      const gradsBefore = await Promise.all([...gb.values()].map((g) => g.data()));
      const prof = await tf.profile(() => fused.step(gb, lr));
      assertEquals(Array.from(await kept.data()), keptBefore, `step ${s}: shared data changed`);
      const gradsAfter = await Promise.all([...gb.values()].map((g) => g.data()));
      for (let i = 0; i < gradsAfter.length; i++) {
        assertEquals(
          Array.from(gradsAfter[i]),
          Array.from(gradsBefore[i]),
          `step ${s}: grad ${i} changed`,
        );
      }
      tf.dispose([...ga.values(), ...gb.values(), kept]);
      const [want, got] = [await values(pa, ops), await values(pb, fused)];
      for (let i = 0; i < want.length; i++) {
        assertEquals(Array.from(got[i]), Array.from(want[i]), `step ${s}, tensor ${i}`);
      }
      // The first two parameters take TensorFlow's ops, the weight decay included (no tfjs
      // kernel); the shared one the op-by-op update, its six kernels.
      assertEquals(
        prof.kernels.map((k) => k.name),
        ["Multiply", "Add", "Multiply", "Add", "Multiply", "Sub"],
        `step ${s}`,
      );
    }
    assertEquals(tf.memory().numTensors, before, "no tensor leaked");
    fused.dispose();
    ops.dispose();
    assertEquals(Array.from(await pb[0].variable.data()), Array.from(await pa[0].variable.data()));
    for (const p of [...pa, ...pb]) p.variable.dispose();
  },
});
