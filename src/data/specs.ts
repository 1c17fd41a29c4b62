/**
 * The paper's eight datasets: class counts, modality names (in fusion order, as the
 * official IBML code concatenates them) and the paper's strong/lazy assignment.
 *
 * @module
 */

/** Facts about one of the paper's datasets. */
export interface DatasetSpec {
  /** Registry name. */
  name: string;
  /** One-line description for `list datasets`. */
  description: string;
  /** Number of classes in the real dataset. */
  numClasses: number;
  /** Modality names in fusion order (official code's first half first). */
  modalities: string[];
  /** The modality the paper calls strong. */
  strong: string;
  /** Whether the official code selects the best epoch on a real validation split. */
  hasVal: boolean;
  /** Task family (sets the paper profile's batch size). */
  task: "audio-visual" | "image-text" | "2d-3d" | "npz";
}

/**
 * The eight datasets of the paper's Table 1.
 *
 * @example
 * ```ts
 * DATASET_SPECS["crema-d"].numClasses; // 6
 * ```
 */
export const DATASET_SPECS: Record<string, DatasetSpec> = {
  "crema-d": {
    name: "crema-d",
    description: "CREMA-D emotion recognition, 6 classes, audio (strong) + visual",
    numClasses: 6,
    modalities: ["audio", "visual"],
    strong: "audio",
    hasVal: false,
    task: "audio-visual",
  },
  ave: {
    name: "ave",
    description:
      "AVE audio-visual event localisation as classification, 28 classes, audio (strong) + visual",
    numClasses: 28,
    modalities: ["audio", "visual"],
    strong: "audio",
    hasVal: true,
    task: "audio-visual",
  },
  avsbench: {
    name: "avsbench",
    description: "AVSBench S4, 23 classes, audio (strong) + visual",
    numClasses: 23,
    modalities: ["audio", "visual"],
    strong: "audio",
    hasVal: true,
    task: "audio-visual",
  },
  vggsound50: {
    name: "vggsound50",
    description: "VGGSound 50-class subset, audio (strong) + visual",
    numClasses: 50,
    modalities: ["audio", "visual"],
    strong: "audio",
    hasVal: false,
    task: "audio-visual",
  },
  mvsa: {
    name: "mvsa",
    description: "MVSA-Single sentiment, 3 classes, text (strong) + image",
    numClasses: 3,
    modalities: ["text", "image"],
    strong: "text",
    hasVal: true,
    task: "image-text",
  },
  food101: {
    name: "food101",
    description: "UPMC Food-101, 101 classes, text (strong) + image",
    numClasses: 101,
    modalities: ["text", "image"],
    strong: "text",
    hasVal: true,
    task: "image-text",
  },
  mnist3d: {
    name: "mnist3d",
    description: "3D MNIST, 10 classes, 2D image + 3D point cloud (strong)",
    numClasses: 10,
    modalities: ["image", "points"],
    strong: "points",
    hasVal: false,
    task: "2d-3d",
  },
  modelnet40: {
    name: "modelnet40",
    description: "ModelNet40, 40 classes, 2D views (strong) + 3D point cloud",
    numClasses: 40,
    modalities: ["image", "points"],
    strong: "image",
    hasVal: false,
    task: "2d-3d",
  },
};

/**
 * The lazy (non-strong) modality of a two-modality spec.
 *
 * @example
 * ```ts
 * lazyOf(DATASET_SPECS["mvsa"]); // "image"
 * ```
 */
export function lazyOf(spec: { modalities: string[]; strong: string }): string {
  const lazy = spec.modalities.find((m) => m !== spec.strong);
  if (lazy === undefined) throw new Error(`dataset has no lazy modality besides '${spec.strong}'`);
  return lazy;
}
