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
import type { Batch, DatasetInfo } from "../data/types.ts";
import type { FusionOutput } from "../models/model.ts";
import { configuredStepLr, ibmlWarmupLr } from "../optim/schedule.ts";
import { crossEntropy } from "../optim/grads.ts";
import { buildFusionModel, plainPlan, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams, type ParamValues, perDataset } from "./params.ts";
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
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { BioRecords } from "./ibml.ts";
 *
 * const bio = new BioRecords(["audio", "visual"], 2, 3);
 * const batch = {
 *   inputs: {},
 *   labels: tf.tensor1d([0, 2], "int32"),
 *   indices: tf.tensor1d([0, 1], "int32"),
 *   size: 2,
 * };
 * const s = bio.strengths(batch, 0); // epoch 0: one-hot labels stand in for the records
 * s.a.audio.dataSync()[0]; // 1: balanced
 * bio.dispose();
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
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeStrengths } from "./ibml.ts";
 *
 * const s = { a: { audio: tf.scalar(1) }, correct: { audio: tf.tensor1d([1, 0]) } };
 * disposeStrengths(s);
 * s.a.audio.isDisposed; // true
 * ```
 */
export function disposeStrengths(s: Strengths): void {
  for (const t of [...Object.values(s.a), ...Object.values(s.correct)]) t.dispose();
}

/**
 * BIO's loss (Eq. 12 as coded): CE(z) + sum_m [a_m < 1] CE(g_m).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { bioLoss } from "./ibml.ts";
 *
 * const z = tf.tensor2d([[0, 0]]), y = tf.tensor1d([0], "int32");
 * const out = { fused: z, unimodal: { audio: z, visual: z }, features: {} };
 * const s = { a: { audio: tf.scalar(1.5), visual: tf.scalar(0.5) }, correct: {} };
 * bioLoss(out, y, s).dataSync()[0]; // 1.386 = 2 ln 2: CE(z) + CE(g_visual) (a_visual < 1)
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
 * What is noised follows the official entry points (research note ibml-official.md, TCM):
 * - by default the whole per-sample tensor, with std = the unbiased std of all elements of
 *   the batch tensor;
 * - a text modality (the batch carries `<m>_mask`): std over `x[:, :min(length)]`, every
 *   sample truncated to the batch's shortest text (`main_VL.py`), so the zero padding does not
 *   shrink it; the field covers the padded shape (the Bi-GRU ignores the padded steps);
 * - `views[m]` (ModelNet40's [B, 4, H, W, C] views: [0, 1]): one field of one view's shape,
 *   std of the first listed view's batch, added to each listed view under its own
 *   independent Bernoulli mask (`main_ModelNet.py`); other views are never noised.
 *   `noised` is then the mean share over the listed views.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { BioRecords, tcmNoise } from "./ibml.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { stepContext } from "../train/trainer.ts";
 *
 * const config = resolveConfig({ method: "ibml", dataset: "crema-d" });
 * const step = stepContext(config, { epoch: 0, step: 0, stepsPerEpoch: 1, lr: 0.01, optimizer: { step() {} } });
 * const inputs = { audio: tf.ones([2, 8]), visual: tf.ones([2, 6]) };
 * const batch = { inputs, labels: tf.tensor1d([0, 1], "int32"), indices: tf.tensor1d([0, 1], "int32"), size: 2 };
 * const s = new BioRecords(["audio", "visual"], 2, 6).strengths(batch, 0);
 * const { noised } = tcmNoise(batch, s, 10, step); // a_m = 1 each: noise with probability 1 / 10
 * Object.keys(noised); // ["audio", "visual"]
 * ```
 */
export function tcmNoise(
  batch: Batch,
  s: Strengths,
  lambda: number,
  ctx: StepContext,
  views: Record<string, number[]> = {},
): { inputs: Record<string, tf.Tensor>; noised: Record<string, tf.Scalar> } {
  const inputs: Record<string, tf.Tensor> = {};
  const noised: Record<string, tf.Scalar> = {};
  // Shortest text length per masked modality (one read-back per text modality and step).
  const prefix: Record<string, number> = {};
  for (const m of Object.keys(s.a)) {
    const mask = batch.inputs[`${m}_mask`];
    if (mask) prefix[m] = Math.max(1, tf.tidy(() => tf.min(tf.sum(mask, 1))).dataSync()[0]);
  }
  const unbiasedStd = (t: tf.Tensor) => {
    const mean = tf.mean(t);
    return tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(t, mean))), Math.max(t.size - 1, 1)));
  };
  tf.tidy(() => {
    for (const [m, x] of Object.entries(batch.inputs)) {
      const a = s.a[m];
      if (!a) {
        inputs[m] = tf.keep(x.clone());
        continue;
      }
      const p = tf.div(tf.minimum(a, lambda), lambda);
      const gate = tf.mul(s.correct[m], tf.step(tf.sub(a, 1))); // correct and stronger
      const draw = (purpose: (string | number)[]) =>
        tf.mul(
          gate,
          tf.step(tf.sub(p, tf.randomUniform([batch.size], 0, 1, "float32", ctx.seed(...purpose)))),
        );
      const listed = views[m];
      if (listed && listed.length) {
        // x [B, V, ...]: one field of one view's shape, std of the first listed view.
        const [, V, ...rest] = x.shape;
        const one = (v: number) => tf.slice(x, [0, v], [batch.size, 1]);
        const std = unbiasedStd(one(listed[0]));
        const field = tf.mul(
          tf.randomNormal(rest, 0, 1, "float32", ctx.seed("tcm-field", m)),
          std,
        );
        const masks: tf.Tensor[] = [];
        const parts: tf.Tensor[] = [];
        for (let v = 0; v < V; v++) {
          const xv = one(v);
          if (!listed.includes(v)) {
            parts.push(xv);
            continue;
          }
          const mask = draw(["tcm-u", m, v]);
          masks.push(mask);
          const shape = [batch.size, 1, ...rest.map(() => 1)];
          parts.push(tf.add(xv, tf.mul(tf.reshape(mask, shape), tf.expandDims(field, 0))));
        }
        inputs[m] = tf.keep(tf.concat(parts, 1));
        noised[m] = tf.keep(tf.mean(tf.stack(masks)));
        continue;
      }
      const sample = prefix[m] !== undefined
        ? tf.slice(x, [0, 0], [batch.size, Math.min(prefix[m], x.shape[1]!)])
        : x;
      const field = tf.mul(
        tf.randomNormal(x.shape.slice(1), 0, 1, "float32", ctx.seed("tcm-field", m)),
        unbiasedStd(sample),
      );
      const mask = draw(["tcm-u", m]);
      const maskShape = [batch.size, ...x.shape.slice(1).map(() => 1)];
      inputs[m] = tf.keep(tf.add(x, tf.mul(tf.reshape(mask, maskShape), field)));
      noised[m] = tf.keep(tf.mean(mask));
    }
  });
  return { inputs, noised };
}

/**
 * The views TCM noises per modality: ModelNet40's multi-view image input ([V, H, W, C] per
 * sample in the paper profile) gets views 1 and 2 (indices 0, 1), as `main_ModelNet.py`;
 * every other input is noised whole.
 *
 * @example
 * ```ts
 * import { tcmViews } from "./ibml.ts";
 *
 * const info = { name: "modelnet40", modalities: ["image", "points"], strong: "image",
 *   lazy: "points", numClasses: 40, hasVal: false, kind: "real" as const,
 *   inputShapes: { image: [4, 112, 112, 3], points: [1024, 3] } };
 * tcmViews(info); // { image: [0, 1] }: the front and side views
 * ```
 */
export function tcmViews(info: DatasetInfo): Record<string, number[]> {
  if (info.name !== "modelnet40") return {};
  const out: Record<string, number[]> = {};
  for (const m of info.modalities) {
    if ((info.inputShapes[m] ?? []).length === 4) out[m] = [0, 1];
  }
  return out;
}

/**
 * Whether protocol epoch `protocolEpoch` lies strictly inside the modulation window.
 *
 * @example
 * ```ts
 * import { inWindow } from "./ibml.ts";
 *
 * inWindow(0, 0, 90); // false: epoch 0 is plain CE
 * inWindow(89, 0, 90); // true
 * ```
 */
export function inWindow(protocolEpoch: number, start: number, end: number): boolean {
  return start < protocolEpoch && protocolEpoch < end;
}

/**
 * IBML's parameters: the switches `bio` (Eq. 12/13), `tcm` (Eq. 16), `warmup` give the
 * Table 5 ablation rows; `lambda` is TCM's cap in Eq. 16.
 */
export const IBML_PARAMS = defineParams({
  bio: {
    type: "boolean",
    default: true,
    doc: "BIO: L_mib = CE(z) + sum_m I_m CE(g_m) (Eq. 12/13); false: CE(z) (Table 5)",
  },
  tcm: {
    type: "boolean",
    default: true,
    doc: "TCM: Gaussian noise on the stronger modality's correct samples (Eq. 16)",
  },
  warmup: {
    type: "boolean",
    default: true,
    doc: "official warm-up lr ramp to 10 base_lr; false: StepLR(70, 0.1)",
  },
  lambda: {
    type: "number",
    above: 0,
    default: perDataset(10, { modelnet40: 40 }),
    doc: "TCM cap: sample noised with probability min(a_m, lambda) / lambda (Eq. 16)",
  },
  // The base lr lr0 of the schedule, absolute: the official 1e-3 in every profile (the
  // warm-up ramps to 10 lr0 = 1e-2). It does not follow train.lr: the quick profile's 1e-2
  // base would put the warm-up peak at 0.1, which collapses training (docs/methods.md,
  // "Learning rates").
  base_lr: {
    type: "number",
    above: 0,
    default: 1e-3,
    doc: "base lr of IBML's schedule, absolute (train.lr does not apply)",
  },
  window_start: {
    type: "number",
    default: 0,
    doc: "BIO/TCM window start, protocol epochs (exclusive)",
  },
  window_end: {
    type: "number",
    default: 90,
    doc: "BIO/TCM window end, protocol epochs (exclusive)",
  },
});

/**
 * The BIO window of the composed Figure 4 methods (`bio+ogm-ge`, `bio+pmr`), which reuse
 * BIO from this file: IBML's own window by default (strict bounds, as in IBML).
 */
export const BIO_WINDOW_PARAMS = defineParams({
  bio_window_start: {
    type: "number",
    default: IBML_PARAMS.specs.window_start.default,
    doc: "BIO window start, protocol epochs (exclusive; IBML's window_start)",
  },
  bio_window_end: {
    type: "number",
    default: IBML_PARAMS.specs.window_end.default,
    doc: "BIO window end, protocol epochs (exclusive; IBML's window_end)",
  },
});

/**
 * BIO composed into another method's step, for the Figure 4 baselines `bio+ogm-ge` and
 * `bio+pmr` (one helper for both): before the forward pass, a_m of the batch and whether
 * the BIO window is open; the loss L_mib (Eq. 12) in place of CE(z) inside the window; after
 * the step, the records of this forward pass and the `a_m`, `bio_m` logs.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { BioComposition } from "./ibml.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { stepContext } from "../train/trainer.ts";
 *
 * const config = resolveConfig({ method: "bio+pmr", dataset: "crema-d" });
 * const at = { epoch: 0, step: 0, stepsPerEpoch: 1, lr: 0.01, optimizer: { step() {} } };
 * const window = { bio_window_start: 0, bio_window_end: 90 };
 * const composed = new BioComposition(["audio", "visual"], 2, 2, window);
 * const labels = tf.tensor1d([0, 1], "int32");
 * const batch = { inputs: {}, labels, indices: tf.tensor1d([0, 1], "int32"), size: 2 };
 * const b = composed.begin(batch, stepContext(config, at)); // protocol epoch 0: window closed
 * const z = tf.tensor2d([[0, 0], [0, 0]]);
 * const out = { fused: z, unimodal: { audio: z, visual: z }, features: {} };
 * BioComposition.loss(b, out, labels).dataSync()[0]; // 0.6931 = CE(z), not L_mib
 * const logs: Record<string, tf.Scalar | number> = {};
 * composed.end(b, batch, out.unimodal, logs);
 * Object.keys(logs); // ["a_audio", "a_visual", "bio_audio", "bio_visual"]
 * composed.dispose();
 * ```
 */
export class BioComposition {
  /** BIO's per-sample records (checkpointed by the composed method). */
  readonly bio: BioRecords;
  /** The `a_m` and `bio_m` columns of method.csv. */
  readonly logNames: string[];

  /** Allocates the records; `window` is the composed method's `bio_window_*`. */
  constructor(
    readonly modalities: string[],
    numTrain: number,
    numClasses: number,
    readonly window: ParamValues<typeof BIO_WINDOW_PARAMS.specs>,
  ) {
    this.bio = new BioRecords(modalities, numTrain, numClasses);
    this.logNames = [...modalities.map((m) => `a_${m}`), ...modalities.map((m) => `bio_${m}`)];
  }

  /** Step 1: a_m of the batch and whether BIO's (strict) window is open. */
  begin(batch: Batch, step: StepContext): BioStep {
    const w = this.window;
    const on = inWindow(step.protocolEpoch, w.bio_window_start, w.bio_window_end);
    return { s: this.bio.strengths(batch, step.epoch), on };
  }

  /** L_mib inside the BIO window (or without BIO: `b` null), else CE(z). */
  static loss(b: BioStep | null, out: FusionOutput, labels: tf.Tensor1D): tf.Scalar {
    return b?.on ? bioLoss(out, labels, b.s) : crossEntropy(out.fused, labels);
  }

  /** After the step: records this forward pass, adds the `a_m`, `bio_m` logs. */
  end(
    b: BioStep,
    batch: Batch,
    unimodal: Record<string, tf.Tensor2D>,
    logs: Record<string, tf.Scalar | number>,
  ): void {
    this.bio.record(batch, unimodal);
    for (const m of this.modalities) {
      logs[`a_${m}`] = b.s.a[m];
      logs[`bio_${m}`] = b.on ? tf.tidy(() => tf.step(tf.sub(1, b.s.a[m])) as tf.Scalar) : 0;
    }
    for (const t of Object.values(b.s.correct)) t.dispose();
  }

  /** Frees the records. */
  dispose(): void {
    this.bio.dispose();
  }
}

/** The BIO part of one step of a composed method ({@linkcode BioComposition.begin}). */
export interface BioStep {
  /** a_m and correct_m of the batch. */
  s: Strengths;
  /** Whether the step is inside the BIO window (L_mib replaces CE(z)). */
  on: boolean;
}

/**
 * The `ibml` method (switches `bio`, `tcm`, `warmup` give the Table 5 ablation rows).
 *
 * @example
 * ```ts
 * import { ibml } from "./ibml.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "ibml", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = ibml.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.learningRate!(20, 1e-3, 100); // 0.01: the warm-up's peak
 * m.dispose();
 * ```
 */
export const ibml: MethodEntry = {
  name: "ibml",
  description:
    "IBML: balanced information optimization (BIO) + training-condition modulation (TCM) + warmup",
  params: IBML_PARAMS,
  create(ctx) {
    const p = IBML_PARAMS.read(ctx.params);
    const model = buildFusionModel(ctx, "concat", "split");
    const bio = new BioRecords(model.modalities, ctx.numTrain, ctx.info.numClasses);
    const noisedViews = tcmViews(ctx.info);
    const baseLr = p.base_lr;
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
      learningRate(epoch, _trainLr, epochs) {
        const protocol = ctx.config.train.protocol_epochs;
        return p.warmup
          ? ibmlWarmupLr(baseLr, epoch, epochs, protocol)
          : configuredStepLr(ctx.config.train, baseLr, epochs, epoch);
      },
      plan(batch, step) {
        const active = inWindow(step.protocolEpoch, p.window_start, p.window_end);
        // Step 1 (Algorithm 1): this batch's strengths a_m from the records of earlier visits.
        const s = bio.strengths(batch, step.epoch);
        // Step 2, TCM (Eq. 16): Gaussian noise on the stronger modality's correct samples.
        const tcm = active && p.tcm ? tcmNoise(batch, s, p.lambda, step, noisedViews) : null;
        // Steps 3-4, forward and loss: BIO's L_mib (Eq. 12) in the window, CE(z) outside it.
        const plain = plainPlan(
          model,
          batch,
          (o, y) => active && p.bio ? bioLoss(o, y, s) : crossEntropy(o.fused, y),
          tcm?.inputs,
        );
        return {
          tapes: plain.tapes,
          change(taped) {
            // Step 5: no gradient change (IBML changes the loss and the inputs); record the
            // softmax of every g_m of this forward pass for the strengths of the next visit.
            const { grads, out } = plain.change(taped);
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
            return { grads, out: { ...out, logs } };
          },
        };
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
