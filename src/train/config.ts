/**
 * The fully resolved run configuration: profile defaults, then the dataset's knobs and
 * the method's hyper-parameters, then `--epochs/--seed`, then `--set key=value` overrides.
 * Every key a user can set exists in the defaults, so an unknown key or a value of the
 * wrong type is one clear error.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { DatasetSpec } from "../data/specs.ts";
import { datasetDefaults, specFor } from "../data/registry.ts";
import { getMethodEntry } from "../methods/registry.ts";
import { type SyntheticKnobs, validateKnobs } from "../data/synthetic.ts";

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
   * Micro-batch size for gradient accumulation (src/train/micro_batch.ts): 0 runs whole
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

export { ConfigError } from "./config_error.ts";
import { ConfigError } from "./config_error.ts";

function profileDefaults(
  profile: Profile,
  task: string,
): Omit<RunConfig, "method" | "data" | "seed"> {
  if (profile === "quick") {
    return {
      profile,
      epochs: 30,
      train: {
        batch_size: 64,
        lr: 0.01,
        momentum: 0.9,
        weight_decay: 1e-4,
        lr_step: 70,
        lr_gamma: 0.1,
        protocol_epochs: 100,
        info_epochs: [],
        eval_batch_size: 500,
        micro_batch: 0,
      },
      model: { encoder: "mlp", hidden: [128], feature_dim: 64 },
    };
  }
  return {
    profile,
    epochs: 100,
    train: {
      batch_size: task === "2d-3d" ? 32 : 64,
      lr: 1e-3,
      momentum: 0.9,
      weight_decay: 1e-4,
      lr_step: 70,
      lr_gamma: 0.1,
      protocol_epochs: 100,
      info_epochs: [],
      eval_batch_size: 64,
      micro_batch: "auto",
    },
    model: { encoder: "paper", hidden: [], feature_dim: 512 },
  };
}

/** Parses a `--set` value to the type of the default it replaces. */
function coerce(key: string, raw: string, current: ConfigValue): ConfigValue {
  const bad = (what: string) =>
    new ConfigError(
      `--set ${key}=${raw}: expected ${what} (current value ${JSON.stringify(current)})`,
    );
  if (key === "train.micro_batch") {
    if (raw.trim() === "auto") return "auto";
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(v) || v < 0) {
      throw bad("auto or a non-negative integer (0: whole batches)");
    }
    return v;
  }
  if (typeof current === "number") {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v)) throw bad("a number");
    return v;
  }
  if (typeof current === "boolean") {
    if (["true", "1", "yes", "on"].includes(raw)) return true;
    if (["false", "0", "no", "off"].includes(raw)) return false;
    throw bad("true or false");
  }
  if (Array.isArray(current)) {
    const text = raw.trim();
    const items = text === "" || text === "[]"
      ? []
      : text.replace(/^\[|\]$/g, "").split(",").map((s) => s.trim());
    const numeric = current.length === 0
      ? items.every((x) => Number.isFinite(Number(x)))
      : typeof current[0] === "number";
    if (numeric) {
      const nums = items.map(Number);
      if (nums.some((n) => !Number.isFinite(n))) {
        throw bad("a comma-separated list of numbers, e.g. 256,128");
      }
      return nums;
    }
    return items;
  }
  return raw;
}

/** All dotted leaf keys of an object (for error messages). */
function leafKeys(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? leafKeys(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`]
  );
}

/**
 * Applies one `key=value` override in place, checking that the key exists and the value
 * has the right type.
 *
 * @example
 * ```ts ignore
 * applySet(cfg, "train.lr=0.05");
 * ```
 */
export function applySet(cfg: RunConfig, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new ConfigError(`--set ${assignment}: expected key=value, e.g. --set train.lr=0.01`);
  }
  const key = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  if (key === "method.name" || key === "data.name") {
    throw new ConfigError(
      `--set ${key}: use --${key === "method.name" ? "method" : "dataset"} instead`,
    );
  }
  if (key.startsWith("method.")) {
    // Checked against the method's parameter declaration (src/methods/params.ts).
    const name = key.slice("method.".length);
    cfg.method[name] = getMethodEntry(cfg.method.name).params.parse(cfg.method.name, name, raw);
    return;
  }
  const path = key.split(".");
  let node = cfg as unknown as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]];
    if (!next || typeof next !== "object" || Array.isArray(next)) {
      throw new ConfigError(
        `--set ${key}: unknown key '${key}'. Valid keys: ${
          leafKeys(cfg as unknown as Record<string, unknown>).join(", ")
        }`,
      );
    }
    node = next as Record<string, unknown>;
  }
  const leaf = path[path.length - 1];
  if (
    !(leaf in node) || (node[leaf] && typeof node[leaf] === "object" && !Array.isArray(node[leaf]))
  ) {
    const scope = path.length > 1 ? path.slice(0, -1).join(".") : "";
    const valid = leafKeys(node, scope ? `${scope}.` : "");
    throw new ConfigError(
      `--set ${key}: unknown key '${key}'. Valid keys${scope ? ` under ${scope}` : ""}: ${
        valid.join(", ")
      }`,
    );
  }
  node[leaf] = coerce(key, raw, node[leaf] as ConfigValue);
}

/**
 * Resolves the full configuration of a run.
 *
 * @example
 * ```ts
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

/** JSON with object keys sorted, so equal configs hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort((
      [a],
      [b],
    ) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable hash of a configuration (sha-256 of canonical JSON, 16 hex digits).
 *
 * @example
 * ```ts
 * const h = configHash(resolveConfig({ method: "concat", dataset: "crema-d" }));
 * h.length; // 16
 * ```
 */
export function configHash(cfg: RunConfig): string {
  // Whole batches (micro_batch 0) are what every run did before the key existed: leave it
  // out, so those runs keep their hashes.
  const hashed = cfg.train.micro_batch === 0
    ? {
      ...cfg,
      train: Object.fromEntries(Object.entries(cfg.train).filter(([k]) => k !== "micro_batch")),
    }
    : cfg;
  return createHash("sha256").update(canonical(hashed)).digest("hex").slice(0, 16);
}
