/**
 * Types of a validated experiment file (`experiments/*.yaml`) and of the runs it
 * expands into.
 *
 * @module
 */

import type { FeatureDataset } from "./names.ts";

/** A training profile: `quick` (synthetic stand-ins) or `paper` (real data, paper protocol). */
export type Profile = "quick" | "paper";

/** The profiles every experiment declares settings for. */
export const PROFILES: readonly Profile[] = ["quick", "paper"];

/** What an experiment's report is. */
export type ReportKind =
  | "accuracy-table"
  | "ratio-table"
  | "ablation-table"
  | "curves"
  | "info-histogram"
  | "regress";

/** Every report kind, in documentation order. */
export const REPORT_KINDS: readonly ReportKind[] = [
  "accuracy-table",
  "ratio-table",
  "ablation-table",
  "curves",
  "info-histogram",
  "regress",
];

/**
 * One row of the experiment: a method, optionally with extra `--set` overrides under its
 * own name (a variant, e.g. the Table 5 ablations or `unimodal` on the lazy modality).
 */
export interface Entry {
  /** Row key and run-id prefix: the method name, or the variant name. */
  name: string;
  /** Registered method that trains this entry. */
  method: string;
  /** Label in tables and legends. */
  label: string;
  /** Extra `key=value` overrides; `{strong}` / `{lazy}` are replaced per dataset. */
  sets: string[];
  /** Variant name (`null` for a plain method entry). */
  variant: string | null;
}

/** Settings of one profile. */
export interface ProfileSettings {
  /** Epochs per run (`undefined`: the profile's default from the trainer). */
  epochs?: number;
  /** `key=value` overrides applied to every run of this profile. */
  sets: string[];
  /** Seeds for this profile (overrides the experiment's `seeds`). */
  seeds?: number[];
  /** Epochs at which the trainer writes `info_epoch<E>.csv` (Figures 3 and 6). */
  infoEpochs?: number[];
}

/** A metric a table row or a claim refers to. */
export type MetricName = string;

/** A metric per dataset, or one metric for all datasets. */
export type MetricRef = MetricName | Record<string, MetricName>;

/** One metric row of an accuracy table (Tables 2 and 3). */
export interface TableRow {
  /** Label printed in the table ("Fusion", "Image/2D"). */
  label: string;
  /** Metric, or metric per dataset. */
  metric: MetricRef;
}

/** One column of an ablation table (Table 5). */
export interface TableColumn {
  /** Label printed in the table. */
  label: string;
  /** Metric shown in the column. */
  metric: MetricName;
}

/** The report an experiment produces. */
export interface ReportSpec {
  /** Kind of report. */
  kind: ReportKind;
  /** Published numbers, a file name in `results/published/` (tables only). */
  published?: string;
  /** Which summary accuracies are used: `best` (selected epoch) or `final`. */
  select: "best" | "final";
  /** Accuracy-table metric rows. */
  rows: TableRow[];
  /** Ablation-table columns. */
  columns: TableColumn[];
  /** Curves: entry names drawn in the figure (default: every non-reference entry). */
  show: string[];
  /** Curves: entries whose best accuracy is drawn as a dashed reference line. */
  reference: string[];
  /** Curves: `per-entry` panels (Figs 2, 5) or `overlay` of entries per quantity (Fig 4). */
  layout: "per-entry" | "overlay";
  /** Histograms: the high/low threshold on the I(X_m;Z;Y) lower bound, in nats. */
  threshold: number;
}

/** Comparison operators of a `compare` claim. */
export type CompareOp = "<" | "<=" | ">" | ">=";

/** How per-dataset (and per-left-entry) verdicts combine. */
export type Quantifier = "all" | "majority" | "any";

/** Fields shared by every claim. */
export interface ClaimBase {
  /** Stable identifier. */
  id: string;
  /** The paper's statement, in words. */
  text: string;
  /** Where the paper says it. */
  source?: string;
  /** Metric compared. */
  metric: MetricName;
  /** Datasets the claim is about. */
  datasets: string[];
  /** How the per-case verdicts combine. */
  require: Quantifier;
}

/** "`subject` is the best (or within the top `rank`) among `among` on `metric`". */
export interface BestClaim extends ClaimBase {
  /** Discriminator. */
  kind: "best";
  /** Entry that should be best. */
  subject: string;
  /** Entries compared (including the subject). */
  among: string[];
  /** What "best" means. */
  goal: "max" | "min" | "closest-to-1";
  /** Subject must rank within the top `rank` (1 = best). */
  rank: number;
}

/** "every `left` entry `op` `right` on `metric`". */
export interface CompareClaim extends ClaimBase {
  /** Discriminator. */
  kind: "compare";
  /** Entries on the left-hand side (each one a case). */
  left: string[];
  /** Operator. */
  op: CompareOp;
  /** Entry on the right-hand side. */
  right: string;
  /** Metric of the right-hand side (default: `metric`). */
  rightMetric: MetricName;
}

/** A checkable statement of the paper about an experiment. */
export type Claim = BestClaim | CompareClaim;

/** A validated experiment. */
export interface Experiment {
  /** Name (file name without `.yaml`). */
  name: string;
  /** Path of the file it was read from. */
  file: string;
  /** Title for listings and report headers. */
  title: string;
  /** The paper's table or figure it reproduces. */
  paper?: string;
  /** Longer description. */
  description?: string;
  /** Entries (methods and variants), in table order. */
  entries: Entry[];
  /** Datasets, in column order. */
  datasets: string[];
  /** Named bring-your-own-features datasets declared by the file (`feature_datasets:`). */
  featureDatasets: Record<string, FeatureDataset>;
  /** Default seeds. */
  seeds: number[];
  /** Settings per profile. */
  profiles: Record<Profile, ProfileSettings>;
  /** The report. */
  report: ReportSpec;
  /** The paper's claims about it. */
  claims: Claim[];
  /** Notes printed under the report (e.g. anomalies of the published numbers). */
  notes: string[];
  /** Cluster settings of the `launcher:` block (absent when the file has none). */
  launcher?: LauncherSettings;
}

/**
 * `sbatch` options of one profile, by long option name without the dashes
 * (`partition`, `time`, `mem`, `account`, `cpus-per-task`, and `gpus`, which the
 * launcher writes as `--gres=gpu:N`); `null` for an option without a value.
 */
export type SlurmOptionMap = Record<string, string | null>;

/** The Slurm part of an experiment's `launcher:` block, resolved per profile. */
export interface SlurmSettings {
  /** Options per profile. */
  options: Record<Profile, SlurmOptionMap>;
  /** Extra `#SBATCH` lines, written as given (after the options). */
  extra: string[];
}

/** An experiment's `launcher:` block. */
export interface LauncherSettings {
  /** Slurm settings. */
  slurm: SlurmSettings;
}

/** One run of an expanded experiment. */
export interface RunSpec {
  /** Experiment name (the run folder's parent). */
  experiment: string;
  /** Stable run id, `<entry>__<dataset>__s<seed>`. */
  runId: string;
  /** Entry (row) name. */
  entry: string;
  /** Variant name, or `null` for a plain method entry. */
  variant: string | null;
  /** Method trained. */
  method: string;
  /** Dataset. */
  dataset: string;
  /** Seed. */
  seed: number;
  /** Profile. */
  profile: Profile;
  /** Epochs, when fixed by the experiment or the command line. */
  epochs?: number;
  /** Every `key=value` override, in order of precedence (last wins). */
  sets: string[];
}
