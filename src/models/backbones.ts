/**
 * Which backbone encodes which modality of which dataset in the `paper` profile, and the
 * per-sample input layout (NHWC, batch axis omitted) each one expects. Loaders put these
 * shapes in `DatasetInfo.inputShapes`; the factory builds encoders from them.
 *
 * | dataset                          | modality | per-sample input           | backbone        |
 * |----------------------------------|----------|----------------------------|-----------------|
 * | crema-d, avsbench, vggsound50    | audio    | [257, 188, 1] log-STFT     | ResNet18, 1 ch  |
 * | ave                              | audio    | [257, 1004, 1] spectrogram | ResNet18, 1 ch  |
 * | crema-d, ave, avsbench, vggsound50 | visual | [3, 224, 224, 3] T frames  | ResNet18, 3 ch, mean over T |
 * | mvsa, food101                    | text     | [-1, 300] GloVe sequence + `text_mask` | Bi-GRU 512 |
 * | mvsa, food101                    | image    | [224, 224, 3]              | ResNet18, 3 ch  |
 * | mnist3d                          | image    | [30, 30, 3]                | Img_FC          |
 * | mnist3d, modelnet40              | points   | [1024, 3]                  | DGCNN           |
 * | modelnet40                       | image    | [4, 112, 112, 3] views     | multi-view ResNet18 (from scratch) |
 *
 * Spectrograms are [frequency, time, 1] (PyTorch's (1, 257, 188) moved to channels-last).
 * Text has a variable length L: the per-sample shape is [-1, 300] (-1 = varies per batch);
 * a batch carries `text` [B, L, 300] (zero-padded at the end to the batch's longest text)
 * and `text_mask` [B, L] float32 (1 = token, 0 = padding; an empty text is one zero vector
 * with mask 1, as the official collate does). Every paper backbone outputs 512 features.
 *
 * @module
 */
import type { Encoder } from "./encoder.ts";
import { BiGruEncoder } from "./bigru.ts";
import { DgcnnEncoder } from "./dgcnn.ts";
import { ImgFcEncoder } from "./img_fc.ts";
import { MultiViewEncoder } from "./multiview.ts";
import { ResNet18Encoder } from "./resnet18.ts";
import type { Rng } from "../rng.ts";

/** The paper's backbones. */
export type BackboneKind = "resnet18" | "bigru" | "img-fc" | "dgcnn" | "multiview";

/** One dataset modality's backbone and input layout. */
export interface BackboneSpec {
  /** Which backbone. */
  kind: BackboneKind;
  /** Per-sample input shape (NHWC, no batch axis; -1 = variable length). */
  inputShape: number[];
  /** One line: what the axes are. */
  layout: string;
}

/** Feature dimension of every paper backbone. */
export const PAPER_FEATURE_DIM = 512;

const AV_VISUAL: BackboneSpec = {
  kind: "resnet18",
  inputShape: [3, 224, 224, 3],
  layout: "[T, H, W, RGB]: 3 frames, ImageNet-normalised; features averaged over T",
};
const AV_AUDIO: BackboneSpec = {
  kind: "resnet18",
  inputShape: [257, 188, 1],
  layout: "[frequency, time, 1]: log(|STFT| + 1e-7), 3 s at 22.05 kHz",
};
const VL: Record<string, BackboneSpec> = {
  text: {
    kind: "bigru",
    inputShape: [-1, 300],
    layout: "[L, 300] GloVe 840B vectors, plus text_mask [L] (1 = token)",
  },
  image: {
    kind: "resnet18",
    inputShape: [224, 224, 3],
    layout: "[H, W, RGB], ImageNet-normalised",
  },
};
const POINTS: BackboneSpec = {
  kind: "dgcnn",
  inputShape: [1024, 3],
  layout: "[N, xyz]: 1024 points",
};

/**
 * Backbone and input layout of every dataset modality in the paper profile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAPER_BACKBONES } from "./backbones.ts";
 * assert.deepEqual(PAPER_BACKBONES["crema-d"].audio.inputShape, [257, 188, 1]);
 * assert.equal(PAPER_BACKBONES["modelnet40"].image.kind, "multiview");
 * ```
 */
export const PAPER_BACKBONES: Record<string, Record<string, BackboneSpec>> = {
  "crema-d": { audio: AV_AUDIO, visual: AV_VISUAL },
  ave: {
    audio: {
      kind: "resnet18",
      inputShape: [257, 1004, 1],
      layout: "[frequency, time, 1]: log spectrogram, 10 s at 16 kHz, standardised per clip",
    },
    visual: AV_VISUAL,
  },
  avsbench: { audio: AV_AUDIO, visual: AV_VISUAL },
  vggsound50: { audio: AV_AUDIO, visual: AV_VISUAL },
  mvsa: VL,
  food101: VL,
  mnist3d: {
    image: {
      kind: "img-fc",
      inputShape: [30, 30, 3],
      layout: "[H, W, 3]: the 30 x 30 digit broadcast to 3 channels",
    },
    points: POINTS,
  },
  modelnet40: {
    image: {
      kind: "multiview",
      inputShape: [4, 112, 112, 3],
      layout: "[V, H, W, RGB]: 4 rendered views, ImageNet-normalised",
    },
    points: POINTS,
  },
};

/**
 * The backbone spec of a dataset modality (one clear error for an unknown pair).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paperBackbone } from "./backbones.ts";
 * assert.equal(paperBackbone("mvsa", "text").kind, "bigru");
 * ```
 */
export function paperBackbone(dataset: string, modality: string): BackboneSpec {
  const byModality = PAPER_BACKBONES[dataset];
  if (!byModality) {
    throw new Error(
      `no paper backbone for dataset '${dataset}': known ${
        Object.keys(PAPER_BACKBONES).join(", ")
      }`,
    );
  }
  const spec = byModality[modality];
  if (!spec) {
    throw new Error(
      `no paper backbone for modality '${modality}' of '${dataset}': known ${
        Object.keys(byModality).join(", ")
      }`,
    );
  }
  return spec;
}

/**
 * Builds the paper backbone of `dataset`/`modality` for per-sample input `shape` (the
 * dataset's `inputShapes[modality]`; sizes other than the paper's work where the
 * architecture allows, e.g. small images in tests). Channels, point dimension and the
 * embedding size are taken from `shape`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "../backend/select.ts";
 * import { Rng } from "../rng.ts";
 * import { makePaperEncoder } from "./backbones.ts";
 * await selectBackend("wasm");
 * // MNIST-3D's image backbone (Img_FC) on 8 x 8 images instead of 30 x 30
 * const enc = makePaperEncoder("mnist3d", "image", [8, 8, 3], new Rng(0));
 * assert.equal(enc.outDim, 512);
 * ```
 */
export function makePaperEncoder(
  dataset: string,
  modality: string,
  shape: number[],
  rng: Rng,
): Encoder {
  const spec = paperBackbone(dataset, modality);
  const want = spec.inputShape.length;
  if (shape.length !== want) {
    throw new Error(
      `${dataset}/${modality}: the ${spec.kind} backbone expects a per-sample shape like ` +
        `[${spec.inputShape}] (${spec.layout}), got [${shape}]`,
    );
  }
  const last = shape[shape.length - 1];
  switch (spec.kind) {
    case "resnet18":
      return new ResNet18Encoder(modality, last, rng);
    case "bigru":
      return new BiGruEncoder(modality, last, PAPER_FEATURE_DIM, rng);
    case "img-fc":
      return new ImgFcEncoder(modality, shape, rng, PAPER_FEATURE_DIM);
    case "dgcnn":
      return new DgcnnEncoder(modality, rng, { inDim: last, outDim: PAPER_FEATURE_DIM });
    case "multiview":
      if (last !== 3) throw new Error(`${dataset}/${modality}: views must be RGB, got [${shape}]`);
      return new MultiViewEncoder(modality, rng);
  }
}
