/**
 * IBML (paper section 3.3), following the official code `QinYang79/IBML` (see
 * shared/spec/research/ibml-official.md): Balanced Information Optimization (BIO, Eq. 12/13
 * with the recorded strengths rho~ of Algorithm 1), the Training-Condition Modulation
 * (TCM, Eq. 16) and the warmup learning-rate ramp. Concatenation head, split logits (Eq. 1).
 *
 * Per mini-batch, inside the modulation window (protocol epochs window_start < e < window_end):
 *   1. records r_m[k] = softmax(g_m) of sample k at its previous visit (one-hot labels in
 *      epoch 0); rho~_m = sum_k r_m[k][y_k]; a_m = M rho~_m / sum_j rho~_j;
 *      correct_m[k] = argmax r_m[k] == y_k.
 *   2. TCM: for the modality with a_m > 1, one Gaussian field eps of one sample's shape,
 *      std = unbiased std of the whole batch tensor, added to sample k when correct_m[k] and
 *      u_k < min(a_m, lambda) / lambda.
 *   3-4. BIO: L_mib = CE(z) + sum_m I_m CE(g_m), I_m = [a_m < 1] (Eq. 12; the log C constants
 *      dropped; a balanced batch gives CE(z)). Outside the window, or bio=false: CE(z).
 *   5. backward; record the detached softmax of every g_m of this forward pass; SGD step.
 * Everything is computed on the backend without reading values back.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/types.ts";
import type { FusionOutput } from "../models/model.ts";
import { ibmlWarmupLr, stepLr } from "../train/schedule.ts";
import { crossEntropy } from "../train/grads.ts";
import { buildFusionModel, plainStep, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import type { StepContext } from "./types.ts";

/** Quantities BIO and TCM derive from the records for one batch (step 1). */
export interface Strengths {
  /** a_m per modality (scalars; a_1 + a_2 = 2 for two modalities). */
  a: Record<string, tf.Scalar>;
  /** correct_m[k] as 0/1 floats [B]. */
  correct: Record<string, tf.Tensor1D>;
}

/**
 * Per-sample prediction records and the ratios a_m built from them (BIO's state).
 * Reused by the composed methods of Figure 4 (`bio+ogm-ge`, `bio+pmr`).
 *
 * @example
 * ```ts ignore
 * const bio = new BioRecords(["audio", "visual"], numTrain, 6);
 * const s = bio.strengths(batch, epoch);
 * ```
 */
export class BioRecords {
  /** Recorded softmax of each modality's split logits, [N_train, C]. */
  readonly records: Record<string, tf.Variable>;

  /** Allocates zeroed records (never read in epoch 0, where one-hot labels stand in). */
  constructor(readonly modalities: string[], numTrain: number, readonly numClasses: number) {
    this.records = Object.fromEntries(
      modalities.map((m) => [m, tf.variable(tf.zeros([numTrain, numClasses]), false)]),
    );
  }

  /** Step 1: a_m and correct_m from the records of this batch's samples. */
  strengths(batch: Batch, epoch: number): Strengths {
    return tf.tidy(() => {
      const onehot = tf.oneHot(batch.labels, this.numClasses).toFloat();
      const rhos: Record<string, tf.Scalar> = {};
      const correct: Record<string, tf.Tensor1D> = {};
      for (const m of this.modalities) {
        const ref = epoch === 0 ? onehot : tf.gather(this.records[m], batch.indices);
        rhos[m] = tf.sum(tf.mul(ref, onehot));
        correct[m] = tf.keep(tf.cast(tf.equal(tf.argMax(ref, 1), batch.labels), "float32"));
      }
      const total = tf.addN(Object.values(rhos));
      const M = this.modalities.length;
      const a: Record<string, tf.Scalar> = {};
      for (const m of this.modalities) {
        // Guard the official code's ZeroDivisionError: no strength at all counts as balanced.
        a[m] = tf.keep(
          tf.where(
            tf.greater(total, 0),
            tf.div(tf.mul(rhos[m], M), tf.maximum(total, 1e-30)),
            tf.scalar(1),
          ),
        );
      }
      return { a, correct };
    });
  }

  /** Step 5: store the detached softmax of this forward pass's unimodal logits. */
  record(batch: Batch, unimodal: Record<string, tf.Tensor2D>): void {
    tf.tidy(() => {
      const idx = tf.reshape(batch.indices, [batch.size, 1]);
      for (const m of this.modalities) {
        const r = this.records[m];
        r.assign(tf.tensorScatterUpdate(r, idx, tf.softmax(unimodal[m])));
      }
    });
  }

  /** Frees the records. */
  dispose(): void {
    for (const r of Object.values(this.records)) r.dispose();
  }
}

/**
 * Disposes the tensors of a {@linkcode Strengths}.
 *
 * @example
 * ```ts ignore
 * disposeStrengths(s);
 * ```
 */
export function disposeStrengths(s: Strengths): void {
  for (const t of [...Object.values(s.a), ...Object.values(s.correct)]) t.dispose();
}

/**
 * BIO's loss (Eq. 12 as coded): CE(z) + sum_m [a_m < 1] CE(g_m).
 *
 * @example
 * ```ts ignore
 * const loss = bioLoss(out, batch.labels, s);
 * ```
 */
export function bioLoss(out: FusionOutput, labels: tf.Tensor1D, s: Strengths): tf.Scalar {
  const terms = [crossEntropy(out.fused, labels)];
  for (const [m, a] of Object.entries(s.a)) {
    terms.push(tf.mul(tf.step(tf.sub(1, a)), crossEntropy(out.unimodal[m], labels)));
  }
  return tf.addN(terms) as tf.Scalar;
}

/**
 * TCM (Eq. 16 as coded): returns the inputs with one shared Gaussian field added to the
 * correctly-predicted samples of the stronger modality (a_m > 1), each with probability
 * min(a_m, lambda) / lambda. Also returns the share of noised samples per modality.
 *
 * @example
 * ```ts ignore
 * const { inputs, noised } = tcmNoise(batch, s, 10, ctx);
 * ```
 */
export function tcmNoise(
  batch: Batch,
  s: Strengths,
  lambda: number,
  ctx: StepContext,
): { inputs: Record<string, tf.Tensor>; noised: Record<string, tf.Scalar> } {
  const inputs: Record<string, tf.Tensor> = {};
  const noised: Record<string, tf.Scalar> = {};
  tf.tidy(() => {
    for (const [m, x] of Object.entries(batch.inputs)) {
      const a = s.a[m];
      if (!a) {
        inputs[m] = tf.keep(x.clone());
        continue;
      }
      const n = x.size;
      const mean = tf.mean(x);
      const std = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(x, mean))), Math.max(n - 1, 1)));
      const field = tf.mul(
        tf.randomNormal(x.shape.slice(1), 0, 1, "float32", ctx.seed("tcm-field", m)),
        std,
      );
      const u = tf.randomUniform([batch.size], 0, 1, "float32", ctx.seed("tcm-u", m));
      const p = tf.div(tf.minimum(a, lambda), lambda);
      const mask = tf.mul(tf.mul(s.correct[m], tf.step(tf.sub(p, u))), tf.step(tf.sub(a, 1)));
      const maskShape = [batch.size, ...x.shape.slice(1).map(() => 1)];
      inputs[m] = tf.keep(tf.add(x, tf.mul(tf.reshape(mask, maskShape), field)));
      noised[m] = tf.keep(tf.mean(mask));
    }
  });
  return { inputs, noised };
}

/**
 * Whether protocol epoch `protocolEpoch` lies strictly inside the modulation window.
 *
 * @example
 * ```ts
 * inWindow(0, 0, 90); // false: epoch 0 is plain CE
 * inWindow(89, 0, 90); // true
 * ```
 */
export function inWindow(protocolEpoch: number, start: number, end: number): boolean {
  return start < protocolEpoch && protocolEpoch < end;
}

/**
 * The `ibml` method (switches `bio`, `tcm`, `warmup` give the Table 5 ablation rows).
 *
 * @example
 * ```ts ignore
 * const m = ibml.create(ctx);
 * ```
 */
export const ibml: MethodEntry = {
  name: "ibml",
  description:
    "IBML: balanced information optimization (BIO) + training-condition modulation (TCM) + warmup",
  defaults: (spec) => ({
    bio: true,
    tcm: true,
    warmup: true,
    lambda: spec.name === "modelnet40" ? 40 : 10,
    window_start: 0,
    window_end: 90,
  }),
  create(ctx) {
    const p = ctx.params;
    const model = buildFusionModel(ctx, "concat", "split");
    const bio = new BioRecords(model.modalities, ctx.numTrain, ctx.info.numClasses);
    const logNames = [
      ...model.modalities.map((m) => `a_${m}`),
      ...model.modalities.map((m) => `bio_${m}`),
      ...model.modalities.map((m) => `noised_${m}`),
    ];
    return {
      name: "ibml",
      modalities: model.modalities,
      logNames,
      params: () => model.params(),
      buffers: () => model.buffers(),
      learningRate(epoch, base, epochs) {
        const protocol = ctx.config.train.protocol_epochs;
        return p.warmup ? ibmlWarmupLr(base, epoch, epochs, protocol) : stepLr(
          base,
          ctx.config.train.lr_step,
          ctx.config.train.lr_gamma,
          epochs,
          protocol,
          epoch,
        );
      },
      trainStep(batch, step) {
        const active = inWindow(step.protocolEpoch, Number(p.window_start), Number(p.window_end));
        const s = bio.strengths(batch, step.epoch);
        const tcm = active && p.tcm ? tcmNoise(batch, s, Number(p.lambda), step) : null;
        const out = plainStep(
          model,
          batch,
          step,
          (o, y) => active && p.bio ? bioLoss(o, y, s) : crossEntropy(o.fused, y),
          tcm?.inputs,
        );
        bio.record(batch, out.unimodal);
        const logs: Record<string, tf.Scalar | number> = {};
        for (const m of model.modalities) {
          logs[`a_${m}`] = s.a[m];
          logs[`bio_${m}`] = active && p.bio
            ? tf.tidy(() => tf.step(tf.sub(1, s.a[m])) as tf.Scalar)
            : 0;
          logs[`noised_${m}`] = tcm?.noised[m] ?? 0;
        }
        for (const t of Object.values(s.correct)) t.dispose();
        if (tcm) { for (const t of Object.values(tcm.inputs)) t.dispose(); }
        return Promise.resolve({ ...out, logs });
      },
      predict: (inputs) => predictFusion(model, inputs),
      state: () => ({ json: null, tensors: { ...bio.records } }),
      restore(state) {
        for (const m of model.modalities) bio.records[m].assign(state.tensors[m]);
      },
      dispose() {
        model.dispose();
        bio.dispose();
      },
    };
  },
};
