/**
 * One patch to the tfjs engine's per-op bookkeeping (tfjs-core 4.22.0): how it keeps the
 * tensors a gradient needs.
 *
 * While recording a gradient tape, the engine keeps every input/output a gradient function
 * will need (`saveTensorsForBackwardMode`, and the `save` of `tf.customGrad` ops such as
 * `logSoftmax`) by `engine.clone`-ing it: a full `Identity` kernel run (a copy on wasm),
 * plus a tape node for the clone that backpropagation later filters out again, since
 * nothing downstream uses the clone. The quick-profile MLP step saves 49 tensors this way.
 * {@linkcode installSharedSaves} makes `engine.clone` (used for nothing else in tfjs-core
 * 4.22.0) return a second reference to the same buffer instead, exactly what the cpu
 * backend's `Identity` kernel returns, without the kernel call and the dead tape node.
 * Values and gradients are unchanged (bitwise).
 *
 * Tensors on the cpu, wasm and tensorflow (native) backends are saved this way; others keep
 * the stock path. On native the stock `Identity` is a real TensorFlow copy, so the stock
 * path held every saved activation twice (measured: 522 of 1420 MiB of a ResNet18 step's
 * tensor peak at batch 8 were Identity outputs).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The engine internals used here. */
interface EngineLike {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
  state: { tensorInfo: { get(dataId: tf.DataId): { backend: tf.KernelBackend } | undefined } };
  /** Initialised backends by name (reading it initialises nothing, unlike tf.findBackend). */
  registry: Record<string, tf.KernelBackend | undefined>;
}

let installed = false;

/**
 * Replaces `engine.clone` (idempotent). Returns false if the engine does not have the
 * expected shape (another tfjs version), leaving it untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installSharedSaves } from "./engine.ts";
 * await tf.setBackend("wasm");
 * assert.equal(installSharedSaves(), true);
 * const x = tf.tensor1d([1, 2, 3]);
 * const g = tf.grad((x) => tf.sum(tf.square(x)))(x); // keeps x for the gradient, no copy
 * assert.deepEqual(Array.from(await g.data()), [2, 4, 6]);
 * ```
 */
export function installSharedSaves(): boolean {
  if (installed) return true;
  const engine = tf.engine() as unknown as EngineLike;
  const stock = engine.clone;
  if (typeof stock !== "function" || typeof engine.makeTensorFromTensorInfo !== "function") {
    return false;
  }
  const shared = new Set<tf.KernelBackend>();
  const refresh = () => {
    for (const name of ["cpu", "wasm", "tensorflow"]) {
      const b = engine.registry?.[name];
      if (b) shared.add(b);
    }
  };
  refresh();
  engine.clone = function (x: tf.Tensor): tf.Tensor {
    const backend = engine.state.tensorInfo.get(x.dataId)?.backend;
    if (!backend) return stock.call(engine, x);
    if (!shared.has(backend)) {
      refresh();
      if (!shared.has(backend)) return stock.call(engine, x);
    }
    const y = engine.makeTensorFromTensorInfo(
      { dataId: x.dataId, shape: x.shape, dtype: x.dtype },
      backend,
    );
    backend.incRef(x.dataId);
    return y;
  };
  installed = true;
  return true;
}

/** The part of a tfjs-core 4.22.0 tape node used here. */
interface TapeNodeLike {
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

/** The engine internals {@link installEagerBackprop} wraps. */
interface TapeEngineLike {
  addTapeNode(...args: unknown[]): void;
  gradients(...args: unknown[]): unknown;
  state: { activeTape: TapeNodeLike[] | null; gradientDepth: number };
}

let eagerInstalled = false;

/**
 * Frees memory during backpropagation as soon as it is dead, as PyTorch's autograd does.
 * tfjs-core 4.22.0's `engine.gradients` keeps every tape node's saved tensors (the forward
 * activations) and every intermediate gradient (one per activation) until the whole
 * backward pass has finished, so a step's peak holds all activations plus all their
 * gradients. With this patch, once a node's input gradients are computed, its saved tensors
 * and the gradients of its outputs (used by no other node: a tensor is the output of one
 * node) are disposed. "Its input gradients" are those the backward pass asks for: of the
 * inputs that depend on the differentiated tensors, so not of a convolution's data input or
 * a constant factor. Values are unchanged (bitwise); only the lifetime of dead tensors is.
 *
 * Active on the native engine (`tensorflow` backend), where whole paper batches run (the
 * cpu and wasm paths keep the stock lifetimes unless `IBML_EAGER_BACKPROP=1`;
 * `IBML_EAGER_BACKPROP=0` turns it off everywhere). Never for higher-order gradients
 * (gradientDepth > 0), whose tape the stock code keeps too, nor for a caller-supplied dy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installEagerBackprop } from "./engine.ts";
 * await tf.setBackend("wasm");
 * assert.equal(installEagerBackprop(), true); // active on native, or with IBML_EAGER_BACKPROP=1
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const { grads } = tf.variableGrads(() => tf.sum(tf.square(w)) as tf.Scalar);
 * assert.deepEqual(Array.from(await grads[w.name].data()), [2, 4]);
 * ```
 */
export function installEagerBackprop(): boolean {
  if (eagerInstalled) return true;
  const engine = tf.engine() as unknown as TapeEngineLike;
  const stockAdd = engine.addTapeNode;
  const stockGradients = engine.gradients;
  if (typeof stockAdd !== "function" || typeof stockGradients !== "function") return false;
  const flag = Deno.env.get("IBML_EAGER_BACKPROP");
  const active = () => flag === "1" || (flag !== "0" && tf.getBackend() === "tensorflow");
  // The dy the caller passed to the running `gradients` call (never disposed here).
  const callerDys: (tf.Tensor | null)[] = [];
  engine.gradients = function (this: TapeEngineLike, ...args: unknown[]) {
    callerDys.push((args[2] as tf.Tensor | undefined) ?? null);
    try {
      return stockGradients.apply(this, args);
    } finally {
      callerDys.pop();
    }
  };
  engine.addTapeNode = function (this: TapeEngineLike, ...args: unknown[]) {
    stockAdd.apply(this, args);
    const state = this.state;
    const tape = state.activeTape;
    const node = tape?.[tape.length - 1];
    if (node && active()) unsaveAddInputs(node);
    const stockGrad = node?.gradient;
    if (!node || !stockGrad) return;
    node.gradient = function (this: TapeNodeLike | undefined, dys) {
      const grads = stockGrad(dys);
      if (!active() || callerDys.length === 0) return grads;
      // The backward pass calls this on its filtered copy of the node, whose inputs are only
      // those that depend on the differentiated tensors (not data, labels or constants), and
      // asks for exactly those inputs' gradients.
      const names = Object.keys(this?.inputs ?? node.inputs);
      const results = new Set<tf.Tensor>();
      let left = names.length;
      const release = () => {
        if (state.gradientDepth !== 0) return;
        for (const t of node.saved ?? []) t.dispose();
        const caller = callerDys[callerDys.length - 1];
        for (const dy of dys) {
          // A gradient function may return dy itself as an input's gradient: keep it.
          if (dy && dy !== caller && !results.has(dy)) dy.dispose();
        }
      };
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const [name, fn] of Object.entries(grads)) {
        wrapped[name] = () => {
          const r = fn();
          results.add(r);
          if (names.includes(name) && --left === 0) release();
          return r;
        };
      }
      return wrapped;
    };
  };
  eagerInstalled = true;
  return true;
}

/**
 * tfjs's `Add` gradient saves both inputs, but reads only their shapes (to sum dy over
 * broadcast axes). Where no input is broadcast (a ResNet block's residual sum), the saved
 * inputs are released at once and the gradient is dy, reshaped per input as the stock
 * gradient returns it: the same values, bit for bit, without keeping the block's
 * BatchNorm output alive until the backward pass (14 MiB per sample of the paper
 * CREMA-D step). Part of {@linkcode installEagerBackprop}, and active where it is.
 */
function unsaveAddInputs(node: TapeNodeLike): void {
  if (node.kernelName !== "Add" || !node.gradient || !node.saved?.length) return;
  const out = node.outputs[0]?.shape;
  const shapes = Object.values(node.inputs).map((t) => t.shape);
  if (!out || shapes.length !== 2) return;
  if (shapes.some((s) => s.length !== out.length || s.some((d, i) => d !== out[i]))) return;
  for (const t of node.saved) t.dispose();
  node.saved = [];
  const names = Object.keys(node.inputs);
  node.gradient = (dys) => {
    const dy = dys[0] ?? tf.zeros(out); // as the stock tape node fills a missing dy
    return Object.fromEntries(names.map((name, i) => [name, () => tf.reshape(dy, shapes[i])]));
  };
}
