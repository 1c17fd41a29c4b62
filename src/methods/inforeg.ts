/**
 * InfoReg (Huang et al., CVPR'25), following the official code `GeWu-Lab/InfoReg_CVPR2025`
 * `main.py` at HEAD 939b2ed (spec: shared/spec/research/baselines-pace.md section 5). Two
 * modalities; "strong" (method.strong, default the dataset's strong modality) plays the
 * official code's hard-wired audio, the other one the visual.
 *
 * Per epoch e (main.py, section 5.2):
 *   - theta0 <- copy of the parameters at the start of EVERY epoch (the proximal anchor);
 *   - the prime-learning-window gate: with the trace history list = [0] * W ++ [T_0..T_{e-1}],
 *     tr1 = sum(list[-W:]) / W, tr2 = sum(list[-W-1:-1]) / W, k = (tr1 - tr2) / tr1 (k = 1 at
 *     e = 0); regulation is on while k > threshold (0.05). W = 10 epochs of the 100-epoch
 *     protocol, scaled to the run: W = max(1, round(10 * epochs / protocol_epochs));
 *   - T_e = sum over the strong encoder's kernels (Conv2d/Linear weights) of the mean over
 *     elements of sum over the epoch's steps of grad^2 (the final gradient, proximal term
 *     included; not divided by the number of steps).
 * Per iteration (section 5.3):
 *   1. forward; z = [f_s; f_l] W + b, split logits g_m = f_m W_m + b/2;
 *   2. loss = CE(z) + CE(g_s) + CE(g_l) (the official three accumulated backward passes);
 *   3. s_m = sum over the batch of softmax(g_m)[y];
 *      s_s > s_l and gate: beta_s = 0.95 exp(tanh(s_s - s_l)), beta_l = 0;
 *      s_s < s_l and gate: beta_l = 0.1 exp(tanh(s_l - s_s)), beta_s = 0; otherwise both 0;
 *   4. every parameter of encoder m (weights, biases, norm scales): g += beta_m (theta - theta0)
 *      (the gradient of (beta_m / 2) ||theta - theta0||^2);
 *   5. accumulate the strong encoder's trace; the trainer's SGD step (weight decay added
 *      inside the step).
 * Unimodal logits reported: split (b/2). Everything per step stays on the backend; the
 * trace is read back once per epoch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/types.ts";
import type { Param } from "../models/params.ts";
import { ConfigError } from "../config/error.ts";
import { crossEntropy, type Grads } from "../optim/grads.ts";
import { singleTape } from "./plan.ts";
import { rho } from "../optim/metrics.ts";
import { configuredStepLr } from "../optim/schedule.ts";
import { buildFusionModel, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { defineParams, fromDataset, LR_SCALE_SPEC } from "./params.ts";
import type { StepContext, StepPlan } from "./types.ts";

/**
 * The prime-learning-window statistic k at the start of an epoch: the relative change of
 * the `window`-epoch moving sum of the strong encoder's Fisher trace. `history` holds the
 * traces T_0..T_{e-1} of the finished epochs; the official list starts with `window` zeros.
 * Returns 1 for the first epoch (official), and 0 when the moving sum is 0 (the official
 * code would divide by zero).
 *
 * @example
 * ```ts
 * import { primeWindowChange } from "./inforeg.ts";
 *
 * primeWindowChange([], 10); // 1
 * primeWindowChange([4], 10); // 1
 * primeWindowChange([4, 1], 10); // 0.2 = T_1 / (T_0 + T_1)
 * primeWindowChange([1, 2, 3], 2); // 0.4 = (T_2 - T_0) / (T_1 + T_2)
 * ```
 */
export function primeWindowChange(history: number[], window: number): number {
  if (history.length === 0) return 1;
  const list = [...new Array(window).fill(0), ...history];
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const tr1 = sum(list.slice(-window)) / window;
  const tr2 = sum(list.slice(-window - 1, -1)) / window;
  return tr1 === 0 ? 0 : (tr1 - tr2) / tr1;
}

/**
 * The window length in epochs of this run: `window` protocol epochs scaled by
 * epochs / protocolEpochs, at least 1 (exactly `window` in the 100-epoch protocol).
 *
 * @example
 * ```ts
 * import { scaledWindow } from "./inforeg.ts";
 *
 * scaledWindow(10, 100, 100); // 10
 * scaledWindow(10, 20, 100); // 2
 * scaledWindow(10, 3, 100); // 1
 * ```
 */
export function scaledWindow(window: number, epochs: number, protocolEpochs: number): number {
  return Math.max(1, Math.round((window * epochs) / protocolEpochs));
}

/** Constants of the beta rule (official: 0.95 and 0.1). */
export interface BetaConstants {
  /** Factor of the strong modality's beta. */
  strong: number;
  /** Factor of the lazy modality's beta. */
  lazy: number;
}

/**
 * InfoReg's regulation strengths from the batch scores s_m = sum softmax(g_m)[y]:
 * beta_s = c_s exp(tanh(s_s - s_l)) when s_s > s_l, beta_l = c_l exp(tanh(s_l - s_s)) when
 * s_l > s_s, the other 0; both 0 when the gate is closed or the scores are equal.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { infoRegBetas } from "./inforeg.ts";
 *
 * const b = infoRegBetas(tf.scalar(40), tf.scalar(10), true, { strong: 0.95, lazy: 0.1 });
 * b.strong.dataSync()[0]; // 2.582 = 0.95 exp(tanh(30))
 * b.lazy.dataSync()[0]; // 0
 * ```
 */
export function infoRegBetas(
  sStrong: tf.Scalar,
  sLazy: tf.Scalar,
  gateOpen: boolean,
  c: BetaConstants,
): { strong: tf.Scalar; lazy: tf.Scalar } {
  return tf.tidy(() => {
    const gate = gateOpen ? 1 : 0;
    const gap = tf.sub(sStrong, sLazy);
    const ahead = tf.cast(tf.greater(sStrong, sLazy), "float32");
    const behind = tf.cast(tf.less(sStrong, sLazy), "float32");
    const strong = tf.mul(tf.mul(ahead, c.strong * gate), tf.exp(tf.tanh(gap)));
    const lazy = tf.mul(tf.mul(behind, c.lazy * gate), tf.exp(tf.tanh(tf.neg(gap))));
    return { strong: strong as tf.Scalar, lazy: lazy as tf.Scalar };
  });
}

/**
 * Adds the proximal term beta (theta - theta0) to the gradients of the given parameters
 * (anchors by parameter name). Returns new gradients; the input map is disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { addProximal } from "./inforeg.ts";
 *
 * const w = makeParam("encoder.audio.0.kernel", "encoder.audio", "kernel", new Float32Array([2]), [1]);
 * const anchors = new Map([["encoder.audio.0.kernel", tf.tensor1d([1])]]);
 * const grads = new Map([["encoder.audio.0.kernel", tf.tensor1d([0.5])]]);
 * addProximal(grads, [w], anchors, 0.1).get("encoder.audio.0.kernel")!.dataSync(); // ~ [0.6]
 * ```
 */
export function addProximal(
  grads: Grads,
  params: Param[],
  anchors: Map<string, tf.Tensor>,
  beta: tf.Scalar | number,
): Grads {
  const out: Grads = new Map(grads);
  tf.tidy(() => {
    for (const p of params) {
      const g = grads.get(p.name);
      const anchor = anchors.get(p.name);
      if (!g || !anchor) continue;
      out.set(p.name, tf.keep(tf.add(g, tf.mul(beta, tf.sub(p.variable, anchor)))));
      g.dispose();
    }
  });
  return out;
}

/**
 * One step's contribution to the Fisher trace: sum over the kernels of the mean over
 * elements of grad^2 (summed over the epoch's steps it is the official T_e).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { fisherTraceStep } from "./inforeg.ts";
 *
 * const k = makeParam("encoder.audio.0.kernel", "encoder.audio", "kernel", new Float32Array(2), [2]);
 * const grads = new Map([["encoder.audio.0.kernel", tf.tensor1d([1, 3])]]);
 * fisherTraceStep(grads, [k]).dataSync()[0]; // 5 = mean(g^2)
 * ```
 */
export function fisherTraceStep(grads: Grads, params: Param[]): tf.Scalar {
  return tf.tidy(() => {
    const terms = params
      .filter((p) => p.kind === "kernel" && grads.has(p.name))
      .map((p) => tf.mean(tf.square(grads.get(p.name)!)));
    return (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
  });
}

/** InfoReg's parameters: the strong modality, the prime-window gate and the beta rule. */
export const INFOREG_PARAMS = defineParams({
  // The official Fisher trace is hard-wired to audio, the strong modality of CREMA-D/KS.
  strong: {
    type: "string",
    default: fromDataset((spec) => spec.strong, "the dataset's strong modality"),
    doc: "modality whose Fisher trace gates and whose beta uses beta_strong (official: audio)",
  },
  // Moving-sum length in protocol epochs (official 10; scaled for shorter runs).
  window: {
    type: "number",
    default: 10,
    doc: "trace moving-sum length W, protocol epochs (scaled to the run)",
  },
  // Gate: k > 0.05 (HEAD; the Mar-2025 version used 0.04).
  threshold: {
    type: "number",
    default: 0.05,
    doc: "regulation while the trace statistic k > threshold (prime learning window)",
  },
  beta_strong: {
    type: "number",
    default: 0.95,
    doc: "beta_s = beta_strong exp(tanh(s_s - s_l)) when the strong modality leads",
  },
  beta_lazy: {
    type: "number",
    default: 0.1,
    doc: "beta_l = beta_lazy exp(tanh(s_l - s_s)) when the lazy modality leads",
  },
  // lr = lr_scale x train.lr: the official SGD lr is 2e-3 (main.py), i.e. 2 x the paper
  // profile's shared base 1e-3 (docs/methods.md, "Learning rates").
  ...LR_SCALE_SPEC,
});

/**
 * The `inforeg` method (options: `strong`, `window`, `threshold`, `beta_strong`,
 * `beta_lazy`).
 *
 * @example
 * ```ts
 * import { inforeg } from "./inforeg.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "inforeg", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = inforeg.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.learningRate!(0, 1e-3, 100); // 0.002 (lr_scale 2)
 * m.dispose();
 * ```
 */
export const inforeg: MethodEntry = {
  name: "inforeg",
  description:
    "InfoReg: proximal regulation of the modality ahead during the prime learning window",
  params: INFOREG_PARAMS,
  create(ctx) {
    const p = INFOREG_PARAMS.read(ctx.params);
    const mods = ctx.info.modalities;
    if (mods.length !== 2) {
      throw new ConfigError(
        `inforeg supports exactly two modalities (dataset ${ctx.info.name} has ${mods.length})`,
      );
    }
    const strong = p.strong;
    if (!mods.includes(strong)) {
      throw new ConfigError(
        `method.strong must be one of ${mods.join(", ")} (got '${strong}')`,
      );
    }
    const lazy = mods.find((m) => m !== strong)!;
    const window = scaledWindow(p.window, ctx.config.epochs, ctx.config.train.protocol_epochs);
    const threshold = p.threshold;
    const lrScale = p.lr_scale;
    const c: BetaConstants = { strong: p.beta_strong, lazy: p.beta_lazy };
    const model = buildFusionModel(ctx, "concat", "split");
    const encParams = { [strong]: model.encoderParams(strong), [lazy]: model.encoderParams(lazy) };
    const anchors = new Map<string, tf.Variable>();
    for (const m of mods) {
      for (const q of encParams[m]) anchors.set(q.name, tf.variable(q.variable.clone(), false));
    }
    const fim = tf.variable(tf.scalar(0), false);
    const history: number[] = [];
    let anchoredEpoch = -1;
    let k = 1;
    let gateOpen = true;
    const logNames = [`beta_${strong}`, `beta_${lazy}`, "gate", "k", "fim"];
    // One update on `batch`, the whole batch or one micro-batch (the trace is the whole
    // batch's, in `finishUpdate`).
    const plan = (batch: Batch, step: StepContext): StepPlan => {
      if (step.epoch !== anchoredEpoch) {
        // Start of an epoch: theta0 <- theta, and the gate from the trace history.
        for (const m of mods) {
          for (const q of encParams[m]) {
            tf.tidy(() => anchors.get(q.name)!.assign(tf.clone(q.variable)));
          }
        }
        anchoredEpoch = step.epoch;
        k = primeWindowChange(history, window);
        gateOpen = k > threshold;
      }
      return singleTape(model.params(), () => {
        // 1-2. forward; loss = CE(z) + CE(g_s) + CE(g_l)
        const out = model.forward(batch.inputs, true);
        const loss = tf.addN([
          crossEntropy(out.fused, batch.labels),
          crossEntropy(out.unimodal[strong], batch.labels),
          crossEntropy(out.unimodal[lazy], batch.labels),
        ]) as tf.Scalar;
        return { loss, aux: { fused: out.fused, unimodal: out.unimodal } };
      }, (r) => {
        // 3. beta_m from the batch scores s_m and the gate
        const beta = tf.tidy(() =>
          infoRegBetas(
            rho(r.aux.unimodal[strong], batch.labels),
            rho(r.aux.unimodal[lazy], batch.labels),
            gateOpen,
            c,
          )
        );
        // 4. g += beta_m (theta - theta0) on every parameter of encoder m
        let grads = addProximal(r.grads, encParams[strong], anchors, beta.strong);
        grads = addProximal(grads, encParams[lazy], anchors, beta.lazy);
        const logs: Record<string, tf.Scalar | number> = {
          [`beta_${strong}`]: beta.strong,
          [`beta_${lazy}`]: beta.lazy,
          gate: gateOpen ? 1 : 0,
          k,
          fim: 0, // the step's trace, set in finishUpdate
        };
        return {
          grads,
          out: { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal, logs },
        };
      });
    };
    return {
      name: "inforeg",
      modalities: model.modalities,
      logNames,
      summaryExtras: { inforeg_window_epochs: window },
      params: () => model.params(),
      buffers: () => model.buffers(),
      learningRate(epoch, base, epochs) {
        return configuredStepLr(ctx.config.train, lrScale * base, epochs, epoch);
      },
      plan,
      // 5. the trace of the step's final gradient (under micro-batches: the accumulated one,
      // once), accumulated for T_e; the trainer's SGD step follows.
      finishUpdate(grads, out) {
        const fimStep = fisherTraceStep(grads, encParams[strong]);
        tf.tidy(() => fim.assign(tf.add(fim, fimStep)));
        const logs = out.logs!;
        if (typeof logs.fim !== "number") logs.fim.dispose();
        logs.fim = fimStep;
        return grads;
      },
      async onEpochEnd() {
        history.push((await fim.data())[0]);
        tf.tidy(() => fim.assign(tf.zerosLike(fim)));
      },
      predict: (inputs) => predictFusion(model, inputs),
      state: () => ({ json: { history: [...history] }, tensors: {} }),
      restore(saved) {
        const json = saved.json as { history?: number[] } | null;
        history.splice(0, history.length, ...(json?.history ?? []));
      },
      dispose() {
        model.dispose();
        for (const a of anchors.values()) a.dispose();
        fim.dispose();
      },
    };
  },
};
