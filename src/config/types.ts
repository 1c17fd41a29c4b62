/**
 * The types of a run's configuration: what src/resolve/ builds from the profile, the
 * dataset, the method and `--set`, what config.json holds and {@linkcode configHash} hashes.
 * Part of the configuration leaf (src/config/), which imports nothing of the project.
 *
 * @module
 */

/** A leaf value of the configuration. */
export type ConfigValue = number | string | boolean | number[] | string[];

/** Profile names. */
export type Profile = "quick" | "paper";

/** Training protocol settings. */
export interface TrainConfig {
  /** Mini-batch size. */
  batch_size: number;
  /** Base learning rate. */
  lr: number;
  /** SGD momentum. */
  momentum: number;
  /** L2 weight decay (PyTorch semantics). */
  weight_decay: number;
  /** StepLR step in protocol epochs (70 of 100). */
  lr_step: number;
  /** StepLR factor. */
  lr_gamma: number;
  /** Length of the paper's protocol; epoch marks are scaled by epochs / protocol_epochs. */
  protocol_epochs: number;
  /** 1-based epochs after which per-sample I(X_m;Z;Y) bounds are written (Figures 3, 6). */
  info_epochs: number[];
  /** Batch size for evaluation. */
  eval_batch_size: number;
  /**
   * Micro-batch size for gradient accumulation (src/optim/micro_batch.ts): 0 runs whole
   * batches; `auto` (paper profile) only where the whole batch cannot fit (wasm).
   */
  micro_batch: number | "auto";
}

/** Model settings. */
export interface ModelConfig {
  /** `mlp` (quick profile) or `paper` (the paper's backbones). */
  encoder: string;
  /** Hidden widths of the MLP encoders. */
  hidden: number[];
  /** Feature dimension of every encoder. */
  feature_dim: number;
}

/** The resolved configuration of one run (written to config.json, hashed). */
export interface RunConfig {
  /** Method name and hyper-parameters (`--set method.<name>=value`). */
  method: { name: string } & Record<string, ConfigValue>;
  /** Dataset name and knobs (`--set data.<knob>=value`). */
  data: { name: string } & Record<string, ConfigValue>;
  /** Profile. */
  profile: Profile;
  /** Training seed. */
  seed: number;
  /** Number of epochs. */
  epochs: number;
  /** Protocol settings. */
  train: TrainConfig;
  /** Model settings. */
  model: ModelConfig;
}
