/**
 * Op latency by thread count (a benchmark, not a unit test): the time of one small or medium
 * op (matmul, add, a 3x3 convolution), called in a loop, with TensorFlow's thread pools at each
 * count. It shows what a step of many such ops pays for a second thread: handing an op to the
 * pool and waiting for it costs tens of microseconds on some machines, more than the op.
 *
 * `deno run -A bench/latency.ts [--backend tensorflow] [--threads 1,2] [--repeats 7]`: one
 * process per thread count (`TF_NUM_INTRAOP_THREADS` and `TF_NUM_INTEROP_THREADS` set), then a
 * table of microseconds per op (the median over the repeats) and the ratio of the last count to
 * the first.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { type BackendRequest, selectBackend } from "../src/backend/mod.ts";
import { Conv2d, maxPool2d } from "../src/models/conv.ts";
import { makeParam } from "../src/models/params.ts";
import { Sgd } from "../src/optim/sgd.ts";
import { Rng } from "../src/rng.ts";
import { V8_FLAGS_ARG } from "../src/v8_flags.ts";
import { median } from "./median.ts";
import { run } from "./run.ts";
import { table } from "./table.ts";

/** How long one thread count's process may take (the cases take seconds). */
const CHILD_TIMEOUT_S = 600;

/**
 * Microseconds per call of `op` (its output disposed), the median over `repeats` loops of
 * `calls` calls each, after one untimed loop.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { opLatencyUs } from "./latency.ts";
 * await tf.setBackend("cpu");
 * const a = tf.scalar(1);
 * const us = opLatencyUs(() => tf.add(a, a), 20, 3);
 * console.log(`${us.toFixed(1)} us per add`);
 * a.dispose();
 * ```
 */
export function opLatencyUs(op: () => tf.Tensor, calls: number, repeats: number): number {
  const loop = () => {
    const t = performance.now();
    for (let i = 0; i < calls; i++) op().dispose();
    return (performance.now() - t) * 1000 / calls;
  };
  loop();
  return median(Array.from({ length: repeats }, loop));
}

/** One measured op: its name, the calls per loop, and how to build its inputs. */
interface LatencyCase {
  name: string;
  calls: number;
  build: () => { op: () => tf.Tensor; inputs: tf.Tensor[] };
}

const square = (s: number, calls: number): LatencyCase => ({
  name: `matmul ${s}x${s}`,
  calls,
  build: () => {
    const x = tf.randomNormal([s, s]), w = tf.randomNormal([s, s]);
    return { op: () => tf.matMul(x, w), inputs: [x, w] };
  },
});

/** A classifier head's product, [32, 512] by [512, 10] (small: TensorFlow's `MatMul` on native). */
const head: LatencyCase = {
  name: "matmul 32x512 by 512x10",
  calls: 1000,
  build: () => {
    const x = tf.randomNormal([32, 512]), w = tf.randomNormal([512, 10]);
    return { op: () => tf.matMul(x, w), inputs: [x, w] };
  },
};

const vector = (n: number, calls: number): LatencyCase => ({
  name: `add ${n}`,
  calls,
  build: () => {
    const x = tf.randomNormal([n]), y = tf.randomNormal([n]);
    return { op: () => tf.add(x, y), inputs: [x, y] };
  },
});

/**
 * A max pool and its gradient (size x size windows, stride 2, no padding) on [B, H, W, C]: with
 * `stock`, tfjs's `tf.maxPool` and TensorFlow's `MaxPoolGrad` (which searches every window
 * again); else the project's `maxPool2d` (src/models/conv.ts; on the native engine's CPU,
 * oneDNN's pool and the gradient that reads where each maximum was).
 */
const pool = (
  shape: [number, number, number, number],
  size: number,
  stock: boolean,
  calls: number,
): LatencyCase => ({
  name: `maxpool ${size}x${size} + grad ${shape.join("x")}${stock ? " (MaxPoolGrad)" : ""}`,
  calls,
  build: () => {
    const x = tf.relu(tf.randomNormal(shape)) as tf.Tensor4D;
    const f = stock
      ? (v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, size, 2, "valid")
      : (v: tf.Tensor) => maxPool2d(v as tf.Tensor4D, size, 2);
    const dy = tf.tidy(() => tf.onesLike(f(x)));
    return { op: () => tf.grad(f)(x, dy), inputs: [x, dy] };
  },
});

/**
 * Img_FC's first layer, a 3x3 convolution 3 -> 96 with a bias on [32, 30, 30, 3]: with `stock`,
 * `tf.conv2d` + `tf.add`; else the project's `Conv2d` (src/models/conv.ts; on the native
 * engine's CPU, oneDNN's convolution with the bias as one op).
 */
const convBias = (stock: boolean, calls: number): LatencyCase => ({
  name: `conv3x3 3-96 + bias 32x30x30x3${stock ? " (Conv2D + Add)" : ""}`,
  calls,
  build: () => {
    const conv = new Conv2d("c", "g", new Rng(1), {
      inChannels: 3,
      outChannels: 96,
      size: 3,
      pad: 1,
      bias: true,
      init: "torch-default",
    });
    const [k, b] = conv.params().map((p) => p.variable);
    const x = tf.randomNormal([32, 30, 30, 3]) as tf.Tensor4D;
    const op = stock
      ? () => tf.tidy(() => tf.add(tf.conv2d(x, k as tf.Tensor4D, 1, "same"), b))
      : () => conv.apply(x);
    return { op, inputs: [x, k, b] };
  },
});

/**
 * One SGD step (momentum 0.9, weight decay 1e-4) of Img_FC's fc1 weights, 3136 x 512: with
 * `stock`, the op-by-op update (6 ops); else the project's default (src/optim/sgd.ts; on the
 * native engine's CPU, TensorFlow's `ResourceApplyGradientDescent` for the decay and
 * `ResourceApplyMomentum`, in place).
 * The op's output is a one-element tensor (the update itself returns nothing).
 */
const sgd = (stock: boolean, calls: number): LatencyCase => ({
  name: `sgd step 3136x512${stock ? " (op by op)" : ""}`,
  calls,
  build: () => {
    const n = 3136 * 512;
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.01);
    const p = makeParam("fc1", "g", "kernel", values, [3136, 512]);
    const opt = new Sgd([p], { momentum: 0.9, weightDecay: 1e-4, fused: !stock });
    const g = tf.randomNormal([3136, 512], 0, 0.01);
    const grads = new Map([[p.name, g]]);
    const op = () => {
      opt.step(grads, 0.01);
      return tf.ones([1]);
    };
    return { op, inputs: [p.variable, g, ...opt.state().values()] };
  },
});

/** The ops measured, smallest first. */
export const LATENCY_CASES: LatencyCase[] = [
  square(32, 2000),
  square(64, 1000),
  square(128, 500),
  square(256, 250),
  head,
  vector(4096, 2000),
  vector(65536, 1000),
  vector(262144, 500),
  vector(1048576, 200),
  {
    name: "conv3x3 8x15x15x64",
    calls: 100,
    build: () => {
      const x = tf.randomNormal([8, 15, 15, 64]) as tf.Tensor4D;
      const k = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
      return { op: () => tf.conv2d(x, k, 1, "same"), inputs: [x, k] };
    },
  },
  pool([32, 30, 30, 96], 2, true, 20), // Img_FC's first pool
  pool([32, 30, 30, 96], 2, false, 20),
  pool([4, 114, 114, 64], 3, true, 20), // a ResNet18 stem (batch 4), padded (112 + 2)
  pool([4, 114, 114, 64], 3, false, 20),
  convBias(true, 20),
  convBias(false, 20),
  sgd(true, 50),
  sgd(false, 50),
];

/** Every case's microseconds per op on the current backend. */
export function measureAll(repeats: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of LATENCY_CASES) {
    const { op, inputs } = c.build();
    out[c.name] = opLatencyUs(op, c.calls, repeats);
    tf.dispose(inputs);
  }
  return out;
}

async function child(backend: string, repeats: number): Promise<void> {
  const choice = await selectBackend(backend as BackendRequest);
  console.log(`LATENCY ${JSON.stringify({ backend: choice.name, us: measureAll(repeats) })}`);
}

async function parent(backend: string, threads: number[], repeats: number): Promise<number> {
  const runs: Record<string, number>[] = [];
  for (const t of threads) {
    const r = await run(
      Deno.execPath(),
      [
        "run",
        "-A",
        V8_FLAGS_ARG,
        new URL(import.meta.url).pathname,
        "--child",
        "--backend",
        backend,
        "--repeats",
        String(repeats),
      ],
      CHILD_TIMEOUT_S,
      { TF_NUM_INTRAOP_THREADS: String(t), TF_NUM_INTEROP_THREADS: String(t) },
    );
    const line = r.stdout.split("\n").find((l) => l.startsWith("LATENCY "));
    if (r.code !== 0 || !line) {
      const why = r.timedOut ? `no result after ${CHILD_TIMEOUT_S} s` : r.stderr.trim().slice(-400);
      console.error(`bench/latency.ts: the ${t}-thread run failed: ${why}`);
      return 1;
    }
    runs.push(JSON.parse(line.slice(8)).us);
    console.error(`  ${t} thread(s) measured`);
  }
  const last = threads.length - 1;
  const head = ["op", ...threads.map((t) => `${t}T us/op`), `${threads[last]}T/${threads[0]}T`];
  const rows = LATENCY_CASES.map((c) => [
    c.name,
    ...runs.map((r) => r[c.name].toFixed(1)),
    (runs[last][c.name] / runs[0][c.name]).toFixed(2),
  ]);
  console.log(table(head, rows));
  return 0;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      backend: { type: "string", default: "tensorflow" },
      threads: { type: "string", default: "1,2" },
      repeats: { type: "string", default: "7" },
      child: { type: "boolean", default: false },
    },
  });
  const repeats = Number(values.repeats);
  const threads = values.threads.split(",").map(Number);
  if (!Number.isInteger(repeats) || repeats < 1 || threads.some((t) => !(t >= 1))) {
    console.error(
      `usage: deno run -A bench/latency.ts [--backend tensorflow] [--threads 1,2] [--repeats 7] ` +
        `(got --threads '${values.threads}' --repeats '${values.repeats}')`,
    );
    Deno.exit(2);
  }
  if (values.child) await child(values.backend, repeats);
  else Deno.exit(await parent(values.backend, threads, repeats));
}
