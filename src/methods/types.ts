/**
 * The Method interface: a method owns its model and extra state and decides, per batch,
 * its forward pass and loss (one or more tapes) and its gradient change (its paper
 * equations); the trainer runs the stages around them (src/train/step.ts: forward + loss and
 * backward on the tapes, the method's change, the optimizer step, the log).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Batch, DatasetInfo } from "../data/types.ts";
import type { Encoder } from "../models/encoder.ts";
import type { Param } from "../models/params.ts";
import type { ConfigValue, RunConfig } from "../config/types.ts";
import type { StepOptimizer } from "../optim/micro_batch.ts";
import type { Grads, Tape, Taped } from "../optim/grads.ts";
import type { Rng } from "../rng.ts";

/** What a method gets when it is created. */
export interface MethodContext {
  /** Dataset facts (modalities, strong/lazy, classes). */
  info: DatasetInfo;
  /** The full resolved configuration. */
  config: RunConfig;
  /** The method's own hyper-parameters (`config.method`). */
  params: Record<string, ConfigValue>;
  /** Training-set size (for per-sample state). */
  numTrain: number;
  /** Training labels, by split position. */
  trainLabels: Int32Array;
  /** Seeded generator for weight init. */
  rng: Rng;
  /** Builds the profile's encoder for a modality (MLP in quick, backbones in paper). */
  makeEncoder(modality: string, rng: Rng): Encoder;
}

/** Per-step information the trainer hands to a method. */
export interface StepContext {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based step within the epoch. */
  step: number;
  /** 0-based global iteration. */
  iteration: number;
  /** Number of epochs of this run. */
  epochs: number;
  /** Steps per epoch. */
  stepsPerEpoch: number;
  /** Learning rate of this epoch (src/optim/schedule.ts, or the method's `learningRate`). */
  lr: number;
  /** The optimizer (PyTorch-semantics SGD) the trainer steps after the method's change. */
  optimizer: StepOptimizer;
  /** This (micro-)batch's share of the step's batch: 1 for a whole batch, n_c / B for a slice. */
  share: number;
  /** This epoch expressed in the paper's 100-epoch protocol (epoch * 100 / epochs). */
  protocolEpoch: number;
  /** A deterministic seed for this step and purpose (for tfjs random ops). */
  seed(...purpose: (string | number)[]): number;
}

/** What one training step returns; the trainer disposes every tensor in it. */
export interface StepOutput {
  /** The scalar loss that was optimised (for logging). */
  loss: tf.Scalar;
  /** Fused logits of this forward pass [B, C] (train accuracy). */
  fused: tf.Tensor2D;
  /** Unimodal logits per modality [B, C] (discrepancy ratio). */
  unimodal: Record<string, tf.Tensor2D>;
  /** Per-step quantities, averaged per epoch into `method.csv`. */
  logs?: Record<string, tf.Scalar | number>;
}

/**
 * A method's part of one optimizer update on a (micro-)batch, for the trainer's stages:
 * `tapes` hold its forward pass and loss (the trainer runs them and their backward pass,
 * src/optim/grads.ts `backward`), `change` is its gradient change and the step's output.
 */
export interface StepPlan {
  /** Forward and loss, one tape per backward pass (most methods one; DGL and MMPareto two). */
  tapes: Tape[];
  /**
   * The method's gradient change (its paper equations) on the tapes after backward: returns
   * the gradient the optimizer steps with and the step's output for the log. The trainer
   * disposes the tapes' and the returned gradients after the optimizer step.
   */
  change(taped: Taped[]): { grads: Grads; out: StepOutput };
}

/** Eval-mode predictions; `fused` is null when a method has no fusion (unimodal). */
export interface Prediction {
  /** Fused logits [B, C]. */
  fused: tf.Tensor2D | null;
  /** Unimodal logits per modality (the method's declared convention). */
  unimodal: Record<string, tf.Tensor2D>;
}

/** Information at an epoch's end. */
export interface EpochContext {
  /** 0-based epoch that just finished. */
  epoch: number;
  /** Number of epochs of this run. */
  epochs: number;
  /** The epoch in the 100-epoch protocol. */
  protocolEpoch: number;
  /** Seeded randomness for this epoch end. */
  seed(...purpose: (string | number)[]): number;
  /**
   * Draws a seeded sample of `fraction` of the training batches (e.g. PMR's prototypes);
   * `augment: true` draws them with the training augmentation (the official train loader),
   * otherwise un-augmented. The method chooses the mode its model runs in.
   */
  trainBatches(fraction: number, purpose: string, opts?: { augment?: boolean }): Iterable<Batch>;
}

/** Checkpointable method state. */
export interface MethodState {
  /** JSON-serialisable values. */
  json: unknown;
  /** Tensors by name (copied to host by the checkpoint writer). */
  tensors: Record<string, tf.Tensor>;
}

/** A training method (one file each in src/methods/). */
export interface Method {
  /** Registry name. */
  readonly name: string;
  /** Modalities whose (unimodal) test accuracy is reported. */
  readonly modalities: string[];
  /** All trainable parameters (checkpointed, weight-decayed by SGD). */
  params(): Param[];
  /** Non-trainable model state (checkpointed). */
  buffers(): tf.Variable[];
  /**
   * The method's forward pass and loss (tapes) and its gradient change for update `update`
   * (0-based, below `updatesPerStep`) of a training step on `batch`, the whole batch or one
   * micro-batch of it (`ctx.share`). The trainer runs the stages: backward on the tapes,
   * `change`, the optimizer step, the log (src/train/step.ts `trainStep`).
   */
  plan(batch: Batch, ctx: StepContext, update: number): StepPlan;
  /** Optimizer updates per training step (default 1; MLA: one per modality, in turn). */
  readonly updatesPerStep?: number;
  /**
   * Once per optimizer update, after every micro-batch's `change` and before the step: the
   * method's change of the whole batch's (accumulated) gradient and its whole-batch state
   * (MLA's projection, InfoReg's Fisher trace, AGM's running means, ARL's next weights).
   * `out` is the update's joined output; the hook may replace its logs. Returns the gradient
   * to step with.
   */
  finishUpdate?(grads: Grads, out: StepOutput, ctx: StepContext, update: number): Grads;
  /** Joins the outputs of a step's updates into the step's (MLA); takes ownership of them. */
  joinUpdates?(outs: StepOutput[]): StepOutput;
  /** Eval-mode logits for a batch's inputs. */
  predict(inputs: Record<string, tf.Tensor>): Prediction;
  /** The method's own learning-rate schedule (default: StepLR from the config). */
  learningRate?(epoch: number, base: number, epochs: number): number;
  /** Called after each epoch's training, before evaluation. */
  onEpochEnd?(ctx: EpochContext): Promise<void> | void;
  /**
   * Called once before the first epoch of a fresh run (not on resume; `ctx.epoch` is -1),
   * e.g. PMR's initial prototypes.
   */
  onTrainStart?(ctx: EpochContext): Promise<void> | void;
  /** Extra state for checkpoints. */
  state?(): MethodState;
  /** Restores state written by `state()`. */
  restore?(state: { json: unknown; tensors: Record<string, tf.Tensor> }): void;
  /** Names of the per-step logs (columns of method.csv). */
  readonly logNames?: readonly string[];
  /** Extra fields for summary.json (e.g. ARL's `reconstructed: true`). */
  readonly summaryExtras?: Record<string, unknown>;
  /** Frees every tensor the method owns. */
  dispose(): void;
}
