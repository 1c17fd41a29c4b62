/**
 * MVSA-Single (3 classes: text + image sentiment) in the layout of the IBML/QMF release:
 * `<root>/MVSA_Single/{train,dev,test}.jsonl` (from IBML's `data_process.zip`, 1,555 /
 * 518 / 519) and `<root>/MVSA_Single/data/<id>.jpg` (+ `<id>.txt`, `labelResultAll.txt`)
 * from the Kaggle archive. Pipeline: {@linkcode loadImageText}.
 *
 * `data.label_rule` picks how a (text label, image label) pair becomes one label:
 * - `agree` (default; the paper's 1,555 / 519): the shipped splits, which keep only pairs
 *   whose two labels agree (MMBT/QMF rule).
 * - `multisentinet` (MultiSentiNet, Xu & Mao 2017): agreeing pairs keep their label, a
 *   pair with one `neutral` takes the other label, positive/negative conflicts are
 *   dropped (4,511 pairs), read from `labelResultAll.txt`. Ids in the shipped splits keep
 *   their split; the others are assigned by a fixed hash of the id in the shipped
 *   proportions (60/20/20). Their text is `data/<id>.txt` with non-ASCII characters
 *   replaced by `?` (as in the jsonl). Not the paper's data.
 *
 * @module
 */
import type { RunConfig } from "../../config/types.ts";
import { seedFor } from "../../rng.ts";
import type { Dataset } from "../types.ts";
import { DataMalformedError, pathExists } from "./errors.ts";
import {
  checkImageText,
  type ImageTextLayout,
  type ImageTextRecord,
  layoutMissing,
  loadImageText,
  readSplits,
} from "./image_text.ts";
import type { CheckReport, RealLoader } from "./types.ts";

/**
 * Where MVSA-Single lives and how to make it.
 *
 * @example
 * ```ts
 * MVSA_LAYOUT.folder; // "MVSA_Single"
 * ```
 */
export const MVSA_LAYOUT: ImageTextLayout = {
  name: "mvsa",
  title: "MVSA-Single",
  folder: "MVSA_Single",
  contents: "train.jsonl, dev.jsonl, test.jsonl (IBML data_process.zip, folder MVSA) and " +
    "data/<id>.jpg (+ labelResultAll.txt for data.label_rule=multisentinet)",
  how: "get the jsonl splits from https://github.com/QinYang79/IBML (data_process.zip) and " +
    "the images from https://www.kaggle.com/datasets/vincemarcs/mvsasingle (MVSA_Single/data)",
};

const RULES = ["agree", "multisentinet"];
const LABELS = new Set(["positive", "neutral", "negative"]);

/**
 * MultiSentiNet's rule for one (text, image) label pair; null when the pair is dropped.
 *
 * @example
 * ```ts
 * multiSentiNetLabel("neutral", "positive"); // "positive"
 * multiSentiNetLabel("positive", "negative"); // null
 * ```
 */
export function multiSentiNetLabel(text: string, image: string): string | null {
  if (text === image) return text;
  if (text === "neutral") return image;
  if (image === "neutral") return text;
  return null;
}

/**
 * Parses `labelResultAll.txt` (tab-separated `ID\ttext,image`, header line, CRLF) into
 * id -> [text label, image label].
 *
 * @example
 * ```ts
 * parseLabelResult("ID\ttext,image\r\n1\tneutral,positive\r\n", "labelResultAll.txt").get("1");
 * // ["neutral", "positive"]
 * ```
 */
export function parseLabelResult(text: string, file: string): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (i === 0 || line.trim() === "") return;
    const [id, pair] = line.split("\t");
    const [t, v] = (pair ?? "").split(",").map((s) => s.trim());
    if (!id || !LABELS.has(t) || !LABELS.has(v)) {
      throw new DataMalformedError({
        what: "mvsa",
        file: `${file}:${i + 1}`,
        problem: `expected 'ID<TAB>text,image' with positive/neutral/negative, got '${line}'`,
      });
    }
    out.set(id.trim(), [t, v]);
  });
  return out;
}

function splitOfNewId(id: string): string {
  const u = seedFor("mvsa-multisentinet-split", id) % 100;
  return u < 60 ? "train" : u < 80 ? "val" : "test";
}

/** The records under MultiSentiNet's rule (see the module note). */
async function multiSentiNetRecords(
  root: string,
  shipped: Record<string, ImageTextRecord[]>,
): Promise<Record<string, ImageTextRecord[]>> {
  const dir = `${root}/${MVSA_LAYOUT.folder}`;
  const file = `${dir}/labelResultAll.txt`;
  if (!(await pathExists(file))) throw layoutMissing(MVSA_LAYOUT, root, file);
  const pairs = parseLabelResult(await Deno.readTextFile(file), file);
  // Shipped rows keep their split and order (both labels agree, so the rule keeps them);
  // the rule's extra pairs follow in id order.
  const out: Record<string, ImageTextRecord[]> = {};
  const shippedIds = new Set<string>();
  for (const [split, rows] of Object.entries(shipped)) {
    out[split] = rows.map((r) => {
      shippedIds.add(r.id);
      const pair = pairs.get(r.id);
      return pair ? { ...r, label: multiSentiNetLabel(pair[0], pair[1]) ?? r.label } : r;
    });
  }
  const ids = [...pairs.keys()].filter((id) => !shippedIds.has(id))
    .sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const id of ids) {
    const [t, v] = pairs.get(id)!;
    const label = multiSentiNetLabel(t, v);
    if (label === null) continue;
    const txt = `${dir}/data/${id}.txt`;
    if (!(await pathExists(txt))) throw layoutMissing(MVSA_LAYOUT, root, txt);
    // deno-lint-ignore no-control-regex
    const text = (await Deno.readTextFile(txt)).replace(/[^\x00-\x7f]/gu, "?").trim();
    out[splitOfNewId(id)].push({ id, label, text, img: `data/${id}.jpg` });
  }
  return out;
}

async function records(root: string, rule: string): Promise<Record<string, ImageTextRecord[]>> {
  if (!RULES.includes(rule)) {
    throw new DataMalformedError({
      what: "mvsa",
      file: "data.label_rule",
      problem: `unknown rule '${rule}'`,
      how: `use one of ${RULES.join(", ")}`,
    });
  }
  const shipped = await readSplits(root, MVSA_LAYOUT);
  return rule === "agree" ? shipped : await multiSentiNetRecords(root, shipped);
}

/**
 * Loads MVSA-Single for a run (`data.label_rule`, plus the image-text keys).
 *
 * @example
 * ```ts ignore
 * // not run: needs the MVSA-Single folder (jsonl splits, images) and the 5 GB GloVe file
 * const ds = await loadMvsa(cfg, "results/cache/mvsa");
 * ds.info.classNames; // ["positive", "neutral", "negative"] on the shipped splits
 * ```
 */
export async function loadMvsa(cfg: RunConfig, cacheDir: string): Promise<Dataset> {
  const rule = String(cfg.data.label_rule ?? "agree");
  const root = String(cfg.data.root);
  const recs = await records(root, rule);
  return await loadImageText(cfg, `${cacheDir}/${rule}`, MVSA_LAYOUT, recs);
}

/**
 * Inspects `<root>/MVSA_Single` (shipped splits, as the default rule uses them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkMvsa } from "./mvsa.ts";
 * const root = await Deno.makeTempDir(); // no MVSA-Single here
 * const report = await checkMvsa(root);
 * assert.equal(report.status, "missing"); // with the shipped splits: counts { train: 1555, dev: 518, test: 519 }
 * await Deno.remove(root);
 * ```
 */
export async function checkMvsa(root: string): Promise<CheckReport> {
  const report = await checkImageText(root, MVSA_LAYOUT);
  const labels = `${root}/${MVSA_LAYOUT.folder}/labelResultAll.txt`;
  if (report.status === "found" && !(await pathExists(labels))) {
    report.notes = [
      ...(report.notes ?? []),
      `no ${labels} (only needed for data.label_rule=multisentinet)`,
    ];
  }
  return report;
}

/**
 * The MVSA-Single loader (registered in `LOADERS.mvsa` by mod.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mvsaLoader } from "./mvsa.ts";
 * const root = await Deno.makeTempDir(); // no MVSA-Single here
 * const report = await mvsaLoader.check(root);
 * assert.deepEqual([report.dataset, report.status], ["mvsa", "missing"]); // mvsaLoader.load(cfg, cacheDir) loads it for a run
 * await Deno.remove(root);
 * ```
 */
export const mvsaLoader: RealLoader = { load: loadMvsa, check: checkMvsa };
