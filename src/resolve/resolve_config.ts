/**
 * The fully resolved run configuration: profile defaults, then the dataset's knobs and
 * the method's hyper-parameters, then `--epochs/--seed`, then `--set key=value` overrides.
 * Every key a user can set exists in the defaults, so an unknown key or a value of the
 * wrong type is one clear error. This sits above the dataset and method registries, whose
 * defaults it collects; the configuration's types, hash and error are in src/config/.
 *
 * @module
 */
import { ConfigError } from "../config/error.ts";
import type { Profile, RunConfig } from "../config/types.ts";
import type { DatasetSpec } from "../data/specs.ts";
import { datasetDefaults, specFor } from "../data/registry.ts";
import { type SyntheticKnobs, validateKnobs } from "../data/synthetic.ts";
import { getMethodEntry } from "../methods/registry.ts";
import { applySet } from "./apply_set.ts";
import { profileDefaults } from "./profile_defaults.ts";

/** Options of {@linkcode resolveConfig}. */
export interface ResolveOptions {
  /** Method name. */
  method: string;
  /** Dataset name. */
  dataset: string;
  /** Profile (default quick). */
  profile?: Profile;
  /** Seed (default 0). */
  seed?: number;
  /** Epochs (default: the profile's). */
  epochs?: number;
  /** `key=value` overrides. */
  sets?: string[];
  /** Data root (paper profile). */
  dataRoot?: string;
}

/**
 * Resolves the full configuration of a run.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "./resolve_config.ts";
 *
 * const cfg = resolveConfig({ method: "ibml", dataset: "crema-d", sets: ["train.lr=0.02"] });
 * cfg.train.lr; // 0.02
 * ```
 */
export function resolveConfig(opts: ResolveOptions): RunConfig {
  const first = build(opts, specFor(opts.dataset));
  if (!opts.dataset.startsWith("npz:")) return first;
  // A feature file's strong modality is a data knob; method defaults (e.g. unimodal's
  // lazy modality) depend on it, so resolve again with the chosen one.
  return build(
    opts,
    specFor(opts.dataset, String(first.data.strong), first.data.class_names as string[]),
  );
}

function build(opts: ResolveOptions, spec: DatasetSpec): RunConfig {
  const entry = getMethodEntry(opts.method);
  const profile = opts.profile ?? "quick";
  if (profile !== "quick" && profile !== "paper") {
    throw new ConfigError(`unknown profile '${profile}'. Valid profiles: quick, paper`);
  }
  const base = profileDefaults(profile, spec.task);
  if (spec.task === "npz") {
    base.model = {
      encoder: "mlp",
      hidden: profile === "quick" ? [128] : [512],
      feature_dim: profile === "quick" ? 64 : 512,
    };
  }
  const cfg: RunConfig = {
    method: { name: opts.method, ...entry.params.defaults(spec, profile) },
    data: { name: opts.dataset, ...datasetDefaults(spec, profile) },
    profile,
    seed: opts.seed ?? 0,
    epochs: opts.epochs ?? base.epochs,
    train: base.train,
    model: base.model,
  };
  if (opts.dataRoot !== undefined) {
    if (!("root" in cfg.data)) {
      throw new ConfigError(`--data-root applies to the paper profile only`);
    }
    cfg.data.root = opts.dataRoot;
  }
  for (const s of opts.sets ?? []) applySet(cfg, s);
  if (spec.task === "npz" && !spec.modalities.includes(String(cfg.data.strong))) {
    throw new ConfigError(
      `data.strong='${cfg.data.strong}' is not a modality of ${opts.dataset} (${
        spec.modalities.join(", ")
      })`,
    );
  }
  if (profile === "quick" && spec.task !== "npz") {
    // Stand-in knobs are checked here, before any run folder exists.
    const { name: _n, ...knobs } = cfg.data;
    validateKnobs(knobs as unknown as SyntheticKnobs);
  }
  if (!Number.isInteger(cfg.epochs) || cfg.epochs < 1) {
    throw new ConfigError(`--epochs must be a positive integer (got ${cfg.epochs})`);
  }
  if (!Number.isInteger(cfg.seed) || cfg.seed < 0) {
    throw new ConfigError(`--seed must be a non-negative integer (got ${cfg.seed})`);
  }
  if (!Number.isInteger(cfg.train.batch_size) || cfg.train.batch_size < 1) {
    throw new ConfigError(
      `train.batch_size must be a positive integer (got ${cfg.train.batch_size})`,
    );
  }
  if (!(cfg.train.lr > 0)) throw new ConfigError(`train.lr must be > 0 (got ${cfg.train.lr})`);
  const micro = cfg.train.micro_batch;
  if (micro !== "auto" && !(Number.isInteger(micro) && micro >= 0)) {
    throw new ConfigError(
      `train.micro_batch must be auto or a non-negative integer (0: whole batches), got ${
        JSON.stringify(micro)
      }`,
    );
  }
  return cfg;
}
