/**
 * OGM-GE (Peng et al., CVPR 2022): On-the-fly Gradient Modulation with Generalization
 * Enhancement, following the official code `GeWu-Lab/OGM-GE_CVPR2022` (main.py
 * `train_epoch`; shared/spec/research/baselines-pace.md section 1). Concatenation head,
 * split unimodal logits g_m = f_m W_m + b/2 (paper Eq. 1 of IBML; OGM-GE main.py).
 *
 * Per mini-batch (modality 1 plays the official code's `audio`, modality 2 its `visual`):
 *   1. forward in train mode; L = CE(z); backward (ordinary gradients).
 *   2. s_m = sum_i softmax(g_m)_i[y_i] (batch sum); rho_2 = s_2 / s_1, rho_1 = 1 / rho_2.
 *   3. OGM-GE Eq. 10 as coded: if rho_2 > 1: k_2 = 1 - tanh(alpha * relu(rho_2)), k_1 = 1;
 *      else k_1 = 1 - tanh(alpha * relu(rho_1)), k_2 = 1 (rho itself, not rho - 1; an exact
 *      tie modulates modality 1, as the official else-branch does).
 *   4. inside the window (start <= protocol epoch <= end, inclusive): for every weight
 *      kernel (rank >= 2; the official code's 4-D conv weights) of encoder m:
 *      OGM: g <- k_m g;  OGM-GE: g <- k_m g + eps, eps ~ N(0, sigma^2) elementwise with
 *      sigma = unbiased std(g before scaling) + 1e-8, on BOTH encoders (issue #5).
 *   5. SGD step by the trainer (weight decay and momentum after the modulation, PyTorch
 *      semantics).
 *
 * The composed Figure 4 baseline `bio+ogm-ge` (IBML paper section 4.5) replaces CE(z) in
 * step 1 by IBML's L_mib (BIO, {@linkcode bioLoss}) with the per-sample records updated every
 * step; the modulation itself is unchanged. No TCM.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Param } from "../models/params.ts";
import { ConfigError } from "../config/error.ts";
import type { Grads } from "../optim/grads.ts";
import { singleTape } from "./plan.ts";
import { buildFusionModel, predictFusion } from "./common.ts";
import type { MethodEntry } from "./entry.ts";
import { BIO_WINDOW_PARAMS, BioComposition } from "./ibml.ts";
import { defineParams, inclusiveWindowSpecs, type ParamValues, perDataset } from "./params.ts";
import type { Method, MethodContext } from "./types.ts";

/** OGM-GE's modulation modes (official `--modulation`: Normal, OGM, OGM_GE). */
export type OgmModulation = "none" | "ogm" | "ogm-ge";

/** Discrepancy ratios and coefficients of one batch (scalars on the backend). */
export interface OgmCoefficients {
  /** rho_m = s_m / s_other per modality. */
  rho: Record<string, tf.Scalar>;
  /** k_m per modality (1 for the modality that is not suppressed). */
  k: Record<string, tf.Scalar>;
}

/**
 * Whether protocol epoch `e` lies in the closed window [start, end], the official
 * `modulation_starts <= epoch <= modulation_ends` of OGM-GE and PMR.
 *
 * @example
 * ```ts
 * import { inClosedWindow } from "./ogm_ge.ts";
 *
 * inClosedWindow(50, 0, 50); // true
 * inClosedWindow(51, 0, 50); // false
 * ```
 */
export function inClosedWindow(e: number, start: number, end: number): boolean {
  return start <= e && e <= end;
}

/**
 * Steps 2-3: the batch-sum scores, ratios and OGM-GE coefficients of two modalities
 * (official main.py: `ratio_v = score_v / score_a`; `coeff = 1 - tanh(alpha * relu(ratio))`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ogmCoefficients } from "./ogm_ge.ts";
 *
 * const y = tf.tensor1d([0], "int32");
 * const unimodal = { audio: tf.tensor2d([[3, 0]]), visual: tf.tensor2d([[0, 0]]) };
 * const c = ogmCoefficients(unimodal, y, ["audio", "visual"], 0.8);
 * c.k.visual.dataSync()[0]; // 1: only the dominant audio encoder is slowed (k_audio < 1)
 * ```
 */
export function ogmCoefficients(
  unimodal: Record<string, tf.Tensor2D>,
  labels: tf.Tensor1D,
  modalities: readonly string[],
  alpha: number,
): OgmCoefficients {
  const [m1, m2] = modalities;
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, unimodal[m1].shape[1]);
    const score = (m: string) => tf.sum(tf.mul(tf.softmax(unimodal[m]), onehot));
    const s1 = score(m1), s2 = score(m2);
    const rho2 = tf.div(s2, s1) as tf.Scalar;
    const rho1 = tf.div(1, rho2) as tf.Scalar;
    const second = tf.greater(rho2, 1); // official `if ratio_v > 1`
    const coef = (rho: tf.Scalar) => tf.sub(1, tf.tanh(tf.mul(alpha, tf.relu(rho))));
    const one = tf.scalar(1);
    return {
      rho: { [m1]: rho1, [m2]: rho2 },
      k: {
        [m1]: tf.where(second, one, coef(rho1)) as tf.Scalar,
        [m2]: tf.where(second, coef(rho2), one) as tf.Scalar,
      },
    };
  });
}

/**
 * Step 4: scales the gradient of every weight kernel (rank >= `minRank`) of encoder m by
 * k_m and, with `noise`, adds N(0, (std_unbiased(g) + 1e-8)^2) to it (GE). Other gradients
 * are passed through. Returns new gradients; the input map is disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { makeParam } from "../models/params.ts";
 * import { modulateGrads } from "./ogm_ge.ts";
 *
 * const k2 = makeParam("encoder.audio.0.kernel", "encoder.audio", "kernel", new Float32Array(4), [2, 2]);
 * const grads = new Map([["encoder.audio.0.kernel", tf.ones([2, 2])]]);
 * const k = { audio: tf.scalar(0.5), visual: tf.scalar(1) };
 * const out = modulateGrads(grads, [k2], k, { noise: false, minRank: 2, seed: () => 0 });
 * out.get("encoder.audio.0.kernel")!.dataSync(); // Float32Array [0.5, 0.5, 0.5, 0.5]
 * ```
 */
export function modulateGrads(
  grads: Grads,
  params: Param[],
  k: Record<string, tf.Scalar>,
  opts: { noise: boolean; minRank: number; seed: (...purpose: (string | number)[]) => number },
): Grads {
  const modalityOf = new Map<string, string>();
  for (const p of params) {
    const m = p.group.startsWith("encoder.") ? p.group.slice("encoder.".length) : null;
    if (m !== null && m in k && p.variable.rank >= opts.minRank) modalityOf.set(p.name, m);
  }
  const out: Grads = new Map();
  for (const [name, g] of grads) {
    const m = modalityOf.get(name);
    if (m === undefined) {
      out.set(name, g);
      continue;
    }
    out.set(
      name,
      tf.tidy(() => {
        const scaled = tf.mul(g, k[m]);
        if (!opts.noise) return scaled;
        const n = g.size;
        const mean = tf.mean(g);
        const std = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(g, mean))), Math.max(n - 1, 1)));
        const sigma = tf.add(std, 1e-8);
        const unit = tf.randomNormal(g.shape, 0, 1, "float32", opts.seed("ge", name));
        return tf.add(scaled, tf.mul(unit, sigma));
      }),
    );
    g.dispose();
  }
  return out;
}

/**
 * OGM-GE's parameters (README: alpha 0.8 for CREMA-D, 0.1 otherwise; window 0-50 inclusive):
 * alpha of Eq. 10, the modulation mode and window of step 4.
 */
export const OGM_PARAMS = defineParams({
  alpha: {
    type: "number",
    default: perDataset(0.1, { "crema-d": 0.8 }),
    doc: "alpha of k = 1 - tanh(alpha rho) (OGM-GE Eq. 10)",
  },
  modulation: {
    type: "enum",
    choices: ["ogm-ge", "ogm", "none"],
    default: "ogm-ge",
    doc: "ogm-ge: k g + noise on both encoders; ogm: k g; none: official Normal",
  },
  ...inclusiveWindowSpecs("modulation", 50),
  grad_min_rank: {
    type: "integer",
    min: 0,
    default: 2,
    doc: "modulate encoder kernels of rank >= this (official: 4, conv weights only)",
  },
});

/** `bio+ogm-ge`'s parameters: OGM-GE's and the BIO window. */
export const BIO_OGM_PARAMS = defineParams({
  ...OGM_PARAMS.specs,
  ...BIO_WINDOW_PARAMS.specs,
});

/** Hyper-parameters of OGM-GE read from `config.method`. */
interface OgmOptions {
  alpha: number;
  modulation: OgmModulation;
  start: number;
  end: number;
  minRank: number;
}

function ogmOptions(p: ParamValues<typeof OGM_PARAMS.specs>): OgmOptions {
  return {
    alpha: p.alpha,
    modulation: p.modulation,
    start: p.window_start,
    end: p.window_end,
    minRank: p.grad_min_rank,
  };
}

/**
 * Throws a {@linkcode ConfigError} unless the dataset has exactly two modalities (OGM-GE
 * and PMR compare two modalities; the official code is audio-visual only).
 *
 * @example
 * ```ts
 * import { requireTwoModalities } from "./ogm_ge.ts";
 *
 * requireTwoModalities("ogm-ge", ["audio", "visual"]); // fine
 * try {
 *   requireTwoModalities("ogm-ge", ["audio", "visual", "text"]);
 * } catch (e) {
 *   (e as Error).message; // "ogm-ge is defined for two modalities; this dataset has 3 (...)"
 * }
 * ```
 */
export function requireTwoModalities(method: string, modalities: string[]): void {
  if (modalities.length !== 2) {
    throw new ConfigError(
      `${method} is defined for two modalities; this dataset has ${modalities.length} (${
        modalities.join(", ")
      })`,
    );
  }
}

/** Builds `ogm-ge` (bio = false) or `bio+ogm-ge` (bio = true). */
function createOgm(ctx: MethodContext, name: string, withBio: boolean): Method {
  requireTwoModalities(name, ctx.info.modalities);
  // bio+: the BIO window besides the method's own parameters.
  const withWindow = withBio ? BIO_OGM_PARAMS.read(ctx.params) : null;
  const p = withWindow ?? OGM_PARAMS.read(ctx.params);
  const o = ogmOptions(p);
  const model = buildFusionModel(ctx, "concat", "split");
  const mods = model.modalities;
  const bio = withWindow
    ? new BioComposition(mods, ctx.numTrain, ctx.info.numClasses, withWindow)
    : null;
  const logNames = [
    ...mods.map((m) => `k_${m}`),
    ...mods.map((m) => `rho_${m}`),
    "active",
    ...(bio?.logNames ?? []),
  ];
  return {
    name,
    modalities: mods,
    logNames,
    params: () => model.params(),
    buffers: () => model.buffers(),
    plan(batch, step) {
      const b = bio?.begin(batch, step) ?? null;
      return singleTape(model.params(), () => {
        // 1. forward in train mode; L = CE(z) (bio+ogm-ge: L_mib)
        const out = model.forward(batch.inputs, true);
        const loss = BioComposition.loss(b, out, batch.labels);
        return { loss, aux: { fused: out.fused, unimodal: out.unimodal } };
      }, (r) => {
        // 2-3. the scores' ratio rho_m and the coefficients k_m (OGM-GE Eq. 10 as coded)
        const c = ogmCoefficients(r.aux.unimodal, batch.labels, mods, o.alpha);
        // 4. inside the window: g <- k_m g (+ eps for OGM-GE) on the encoders' kernels
        const active = o.modulation !== "none" &&
          inClosedWindow(step.protocolEpoch, o.start, o.end);
        const grads = active
          ? modulateGrads(r.grads, model.params(), c.k, {
            noise: o.modulation === "ogm-ge",
            minRank: o.minRank,
            seed: step.seed,
          })
          : r.grads;
        const logs: Record<string, tf.Scalar | number> = { active: +active };
        for (const m of mods) {
          logs[`k_${m}`] = c.k[m];
          logs[`rho_${m}`] = c.rho[m];
        }
        if (bio && b) bio.end(b, batch, r.aux.unimodal, logs);
        return {
          grads,
          out: { loss: r.loss, fused: r.aux.fused, unimodal: r.aux.unimodal, logs },
        };
      });
    },
    predict: (inputs) => predictFusion(model, inputs),
    ...(bio
      ? {
        state: () => ({ json: null, tensors: { ...bio.bio.records } }),
        restore(state: { tensors: Record<string, tf.Tensor> }) {
          for (const m of mods) bio.bio.records[m].assign(state.tensors[m]);
        },
      }
      : {}),
    dispose() {
      model.dispose();
      bio?.dispose();
    },
  };
}

/**
 * The `ogm-ge` method.
 *
 * @example
 * ```ts
 * import { ogmGe } from "./ogm_ge.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "ogm-ge", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = ogmGe.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.logNames; // ["k_audio", "k_visual", "rho_audio", "rho_visual", "active"]
 * m.dispose();
 * ```
 */
export const ogmGe: MethodEntry = {
  name: "ogm-ge",
  description: "OGM-GE: on-the-fly gradient modulation of the dominant encoder + Gaussian noise",
  params: OGM_PARAMS,
  create: (ctx) => createOgm(ctx, "ogm-ge", false),
};

/**
 * The composed Figure 4 baseline `bio+ogm-ge`: OGM-GE's modulation with IBML's L_mib
 * (BIO, window from IBML's defaults) in place of CE(z).
 *
 * @example
 * ```ts
 * import { bioOgmGe } from "./ogm_ge.ts";
 * import { resolveConfig } from "../resolve/resolve_config.ts";
 * import { methodContext } from "./context.ts";
 *
 * const config = resolveConfig({ method: "bio+ogm-ge", dataset: "crema-d" });
 * const info = { name: "crema-d", modalities: ["audio", "visual"], strong: "audio", lazy: "visual",
 *   numClasses: 6, hasVal: false, inputShapes: { audio: [8], visual: [6] }, kind: "synthetic" as const };
 * const m = bioOgmGe.create(methodContext(config, info, { size: 4, labels: new Int32Array(4) }));
 * m.logNames?.slice(5); // ["a_audio", "a_visual", "bio_audio", "bio_visual"]
 * m.dispose();
 * ```
 */
export const bioOgmGe: MethodEntry = {
  name: "bio+ogm-ge",
  description: "Figure 4 baseline: OGM-GE gradient modulation with IBML's L_mib (BIO) loss",
  params: BIO_OGM_PARAMS,
  create: (ctx) => createOgm(ctx, "bio+ogm-ge", true),
};
