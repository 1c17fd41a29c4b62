import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../assert.ts";
import { LATENCY_CASES, opLatencyUs } from "../../bench/latency.ts";

Deno.test("latency: opLatencyUs times the op and frees every output", async () => {
  await tf.setBackend("cpu");
  const a = tf.ones([16]);
  const before = tf.memory().numTensors;
  let calls = 0;
  const us = opLatencyUs(() => (calls++, tf.add(a, a)), 10, 3);
  assertEquals(calls, 40); // one untimed loop and three timed ones
  assertEquals(tf.memory().numTensors, before);
  assert(Number.isFinite(us) && us > 0, `microseconds per op: ${us}`);
  a.dispose();
});

Deno.test("latency: every case builds its op and inputs, and the op runs", async () => {
  await tf.setBackend("cpu");
  for (const c of LATENCY_CASES) {
    const { op, inputs } = c.build();
    const y = op();
    assert(y.size > 0, c.name);
    tf.dispose([y, ...inputs]);
  }
});
