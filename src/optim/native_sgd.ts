/**
 * The SGD update of src/optim/sgd.ts on the native engine's CPU as TensorFlow's own fused
 * `ResourceApplyMomentum`, in place, instead of six elementwise ops per parameter.
 *
 * The op-by-op update reads and writes a parameter-sized buffer 15 times (6 ops); these ops
 * are bound by memory bandwidth, so a second thread barely helps them (for Img_FC's fc1,
 * 1.6 M weights, about 3 ms of a 25 ms two-thread step). `ResourceApplyMomentum` computes
 * accum = accum * momentum + grad, var -= accum * lr in one pass over the variable, its
 * velocity and the gradient, in the same order and roundings as the ops (so the numbers are
 * the same bit for bit: tests/native_sgd_test.ts).
 *
 * With a weight decay and ibml's TensorFlow ops open (src/kernels/custom_ops.ts), the whole
 * update is ibml's `IbmlApplyMomentumDecay`: g' = g + p * wd, accum = accum * momentum + g',
 * var -= accum * lr in one pass over the variable, its velocity and the caller's gradient
 * (read, never written), each operation rounded as above (bit for bit, the same test).
 * Img_FC's fc1 (1.6 M weights) took 1.8 ms a step in the two ops below at one thread and
 * 1.7 at two; 0.8 and 0.6 in the one (bench/README.md, "ibml's own TensorFlow ops").
 *
 * Without that library, the weight decay is added to the gradient first, `g + p * wd` as
 * before, but in one op over a third TensorFlow variable per parameter, the decayed gradient: the gradient is
 * assigned to it (TensorFlow adopts the gradient's buffer where it can, else copies it) and
 * `ResourceApplyGradientDescent` with rate `-wd` computes `g - (-wd) * p`, which is
 * `g + p * wd` bit for bit (negation is exact). TensorFlow copies before writing where the
 * caller's gradient still holds the buffer, so the caller's gradient keeps its values.
 * `Multiply` + `Add` allocated two parameter-sized buffers and were two tfjs kernels; this
 * allocates at most one and runs under the binding (Img_FC's step: 37 tfjs kernels instead of
 * 53; bench/README.md, "The weight decay in one op"). After the update the variable is given
 * a scalar, which frees the decayed gradient's buffer until the next step.
 *
 * TensorFlow updates only resource variables in place, and tfjs-node has none. So each
 * parameter and its velocity get one TensorFlow variable (`VarHandleOp`), and the tfjs
 * variable's tensor handle is made an alias of that variable's buffer (`ReadVariableOp`).
 * Before an update the aliases are released, so that the buffer has no other reader and
 * TensorFlow updates it in place rather than copying it first; after it, fresh aliases are
 * read. The tfjs variables keep their data ids, shapes and values as any reader sees them.
 * When a tfjs variable was assigned in between (a checkpoint restored, another optimizer's
 * step), its new value is copied into the TensorFlow variable first; when another tfjs tensor
 * shares its data (a clone kept by a method), that parameter takes the op-by-op update.
 *
 * Used where the engine is tfjs-node on a CPU (a GPU keeps the op-by-op update: untested
 * there), with momentum (without it there is no velocity to keep), unless
 * `IBML_FAST_KERNELS=0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { NativeSgd } from "./native_sgd.ts";
 * await tf.setBackend("wasm");
 * assert.equal(NativeSgd.create(), null); // only on the native engine's CPU
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { NodeBackendLike } from "../kernels/native_ops.ts";
import { customOpsLoaded } from "../kernels/custom_ops.ts";
import { floatOfOneShape, type SgdConstants, type SgdEntry } from "./fused_sgd.ts";

/** tfjs-node's record of one tensor's data (its `tensorMap` entry). */
interface NodeTensorData {
  /** The TensorFlow tensor handle's id in the binding (-1 while values wait in JS). */
  id: number;
  /** How many tfjs tensors share this data id. */
  refCount: number;
}

/** The parts of tfjs-node's backend and binding used here, beyond {@linkcode NodeBackendLike}. */
interface NodeInternals extends NodeBackendLike {
  tensorMap: { get(dataId: object): NodeTensorData | undefined };
  getInputTensorIds(tensors: tf.TensorInfo[]): number[];
  binding: NodeBackendLike["binding"] & {
    TF_ATTR_SHAPE: number;
    executeOp(
      name: string,
      attrs: { name: string; type: number; value: unknown }[],
      inputIds: number[],
      numOutputs: number,
    ): { id: number }[];
    deleteTensor(id: number): void;
  };
}

/** One TensorFlow variable and the tfjs variable whose data aliases it. */
interface Alias {
  /** Binding id of the TensorFlow variable's resource handle. */
  handle: number;
  /** The tfjs variable's data id when the alias was made. */
  dataId: object | null;
  /** Binding id of the alias (the tfjs variable's tensor handle). */
  id: number;
}

/** A parameter's TensorFlow variables. */
interface Slot {
  param: tf.Variable;
  velocity: tf.Variable;
  p: Alias;
  v: Alias;
  /** Binding id of the decayed gradient's variable handle (made on the first decayed step). */
  g: number | null;
}

let names = 0;

/**
 * In-place SGD on the native engine's CPU, one TensorFlow variable pair per parameter.
 * Create one per {@linkcode Sgd} (src/optim/sgd.ts) and dispose it with the optimizer.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { NativeSgd } from "./native_sgd.ts";
 * await tf.setBackend("wasm");
 * const native = NativeSgd.create(); // null here; on native:
 * const param = tf.variable(tf.tensor1d([1, 2])), velocity = tf.variable(tf.zeros([2]));
 * const grad = tf.tensor1d([0.5, -0.5]);
 * const left = native?.step([{ param, velocity, grad }], { lr: 0.1, momentum: 0.9, weightDecay: 0 });
 * // left: the entries it did not update (the caller runs the op-by-op update on them)
 * native?.dispose();
 * ```
 */
export class NativeSgd {
  #slots = new Map<tf.Variable, Slot>();

  private constructor(readonly backend: NodeInternals) {}

  /** An updater for the active backend, or null unless it is the native engine on a CPU. */
  static create(): NativeSgd | null {
    if (tf.getBackend() !== "tensorflow") return null;
    const be = tf.backend() as unknown as Partial<NodeInternals>;
    if (be.isUsingGpuDevice || !be.tensorMap || !be.getInputTensorIds) return null;
    if (typeof be.binding?.executeOp !== "function") return null;
    return new NativeSgd(be as NodeInternals);
  }

  /**
   * Updates every entry it can in place and returns the others (with their order kept) for
   * the caller's op-by-op update: all of them when momentum is 0, the backend changed, or an
   * entry is not float32 of one shape; an entry whose parameter or velocity data is shared
   * with another tfjs tensor.
   */
  step(entries: SgdEntry[], c: SgdConstants): SgdEntry[] {
    if (c.momentum === 0 || tf.backend() !== (this.backend as unknown)) return entries;
    const left: SgdEntry[] = [];
    const mine: SgdEntry[] = [];
    for (const e of entries) (this.#fits(e) ? mine : left).push(e);
    if (!mine.length) return left;
    // the decay's rate: ResourceApplyGradientDescent subtracts rate * p (ibml's op adds wd * p)
    const fused = customOpsLoaded();
    const scalars = [
      tf.scalar(c.lr),
      tf.scalar(c.momentum),
      tf.scalar(fused ? c.weightDecay : -c.weightDecay),
    ];
    try {
      const [lrId, mId, decayId] = this.backend.getInputTensorIds(scalars);
      const decay = c.weightDecay === 0 ? null : { id: decayId, fused };
      for (const e of mine) this.#update(e, decay, lrId, mId);
    } finally {
      tf.dispose(scalars);
    }
    return left;
  }

  /** Frees the TensorFlow variables (the tfjs variables keep their values). */
  dispose(): void {
    for (const slot of [...this.#slots.values()]) this.#forget(slot);
  }

  /** Whether this entry can be updated in place now. */
  #fits(e: SgdEntry): boolean {
    if (!floatOfOneShape(e)) return false;
    const { param, velocity } = e;
    const map = this.backend.tensorMap;
    return map.get(param.dataId)?.refCount === 1 && map.get(velocity.dataId)?.refCount === 1;
  }

  /**
   * One parameter's update: sync, release the aliases, apply, alias again. With a decay, the
   * update is ibml's `IbmlApplyMomentumDecay` where the library is open (`fused`), else the
   * decay in the slot's third variable and then `ResourceApplyMomentum`.
   */
  #update(
    { param, velocity, grad }: SgdEntry,
    decay: { id: number; fused: boolean } | null,
    lrId: number,
    mId: number,
  ): void {
    const b = this.backend.binding;
    const slot = this.#slot(param, velocity);
    this.#sync(slot.p, param);
    this.#sync(slot.v, velocity);
    const pData = this.backend.tensorMap.get(param.dataId)!;
    const vData = this.backend.tensorMap.get(velocity.dataId)!;
    const separate = decay !== null && !decay.fused;
    // the gradient the update reads: g + p * wd in the slot's variable, or g itself
    const gradId = separate
      ? this.#decayed(slot, grad, pData.id, decay.id)
      : this.backend.getInputTensorIds([grad])[0];
    b.deleteTensor(pData.id);
    b.deleteTensor(vData.id);
    try {
      if (decay?.fused) {
        // g' = g + p * wd, v = v * momentum + g', p = p - v * lr: one pass (custom_ops.cc)
        b.executeOp("IbmlApplyMomentumDecay", [], [
          slot.p.handle,
          slot.v.handle,
          lrId,
          gradId,
          mId,
          decay.id,
        ], 0);
      } else {
        b.executeOp(
          "ResourceApplyMomentum",
          [
            { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
            { name: "use_locking", type: b.TF_ATTR_BOOL, value: false },
            { name: "use_nesterov", type: b.TF_ATTR_BOOL, value: false },
          ],
          [slot.p.handle, slot.v.handle, lrId, gradId, mId],
          0,
        );
      }
    } finally {
      // Alias again even when the update failed: the tfjs variables must stay readable.
      pData.id = slot.p.id = this.#read(slot.p.handle);
      vData.id = slot.v.id = this.#read(slot.v.handle);
      if (separate) {
        b.deleteTensor(gradId);
        // Free the decayed gradient's buffer until the next step: a scalar takes its place
        // (kept, the buffers of all parameters added 0.4-0.9 GiB to the CREMA-D pair's peak).
        this.#assign(slot.g!, decay.id);
      }
    }
  }

  /**
   * `grad + param * wd` in the slot's decayed-gradient variable, as one
   * `ResourceApplyGradientDescent` with rate `-wd` (`decayId`); returns a fresh binding id
   * reading it, which the caller deletes.
   */
  #decayed(slot: Slot, grad: tf.Tensor, paramId: number, decayId: number): number {
    const b = this.backend.binding;
    slot.g ??= this.#variable(grad.shape);
    this.#assign(slot.g, this.backend.getInputTensorIds([grad])[0]);
    b.executeOp(
      "ResourceApplyGradientDescent",
      [
        { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
        { name: "use_locking", type: b.TF_ATTR_BOOL, value: false },
      ],
      [slot.g, decayId, paramId],
      0,
    );
    return this.#read(slot.g);
  }

  #slot(param: tf.Variable, velocity: tf.Variable): Slot {
    const had = this.#slots.get(param);
    if (had && had.velocity === velocity) return had;
    if (had) this.#forget(had);
    const slot: Slot = {
      param,
      velocity,
      p: { handle: this.#variable(param.shape), dataId: null, id: -1 },
      v: { handle: this.#variable(velocity.shape), dataId: null, id: -1 },
      g: null,
    };
    this.#slots.set(param, slot);
    return slot;
  }

  /** Destroys one slot's TensorFlow variables. */
  #forget(slot: Slot): void {
    const b = this.backend.binding;
    const handles = [slot.p.handle, slot.v.handle, ...(slot.g === null ? [] : [slot.g])];
    for (const handle of handles) {
      b.executeOp(
        "DestroyResourceOp",
        [
          { name: "ignore_lookup_error", type: b.TF_ATTR_BOOL, value: true },
        ],
        [handle],
        0,
      );
      b.deleteTensor(handle);
    }
    this.#slots.delete(slot.param);
  }

  /** A new TensorFlow float32 variable of this shape (uninitialised until assigned). */
  #variable(shape: number[]): number {
    const b = this.backend.binding;
    return b.executeOp(
      "VarHandleOp",
      [
        { name: "dtype", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
        { name: "shape", type: b.TF_ATTR_SHAPE, value: shape },
        { name: "container", type: b.TF_ATTR_STRING, value: "" },
        { name: "shared_name", type: b.TF_ATTR_STRING, value: `ibml_sgd_${names++}` },
      ],
      [],
      1,
    )[0].id;
  }

  /** Gives the TensorFlow variable `handle` the value of the binding tensor `id`. */
  #assign(handle: number, id: number): void {
    const b = this.backend.binding;
    b.executeOp(
      "AssignVariableOp",
      [{ name: "dtype", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }],
      [handle, id],
      0,
    );
  }

  /** A tensor handle that aliases the TensorFlow variable's buffer. */
  #read(handle: number): number {
    const b = this.backend.binding;
    return b.executeOp(
      "ReadVariableOp",
      [
        { name: "dtype", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      ],
      [handle],
      1,
    )[0].id;
  }

  /**
   * Makes `variable`'s data an alias of the TensorFlow variable, copying its value in first
   * when it is not one already (first use, or assigned since the last update).
   */
  #sync(alias: Alias, variable: tf.Variable): void {
    const data = this.backend.tensorMap.get(variable.dataId)!;
    if (alias.dataId === variable.dataId && alias.id === data.id) return;
    const b = this.backend.binding;
    const id = this.backend.getInputTensorIds([variable])[0];
    this.#assign(alias.handle, id);
    b.deleteTensor(id);
    data.id = alias.id = this.#read(alias.handle);
    alias.dataId = variable.dataId;
  }
}
