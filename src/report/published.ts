/**
 * The paper's published numbers (`results/published/<table>.csv`, columns
 * method,dataset,metric,mean,std; accuracies in percent).
 *
 * @module
 */
import { parse } from "csv-parse/sync";

/** The project's `results/published/` folder. */
export const PUBLISHED_DIR: string = new URL("../../results/published/", import.meta.url).pathname;

/** One published cell. */
export interface PublishedCell {
  /** Mean as printed. */
  mean: number;
  /** Std as printed. */
  std: number;
}

/** Published cells keyed by method (or variant), dataset and metric. */
export class PublishedTable {
  readonly #cells = new Map<string, PublishedCell>();

  /**
   * Parses the CSV text of a published table.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = PublishedTable.parse("method,dataset,metric,mean,std\nibml,crema-d,fusion,80.78,0.77\n");
   * assert.deepEqual(t.get("ibml", "crema-d", "fusion"), { mean: 80.78, std: 0.77 });
   * ```
   */
  static parse(text: string): PublishedTable {
    const t = new PublishedTable();
    const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<
      string,
      string
    >[];
    for (const r of rows) {
      const mean = Number(r.mean);
      const std = Number(r.std);
      if (!r.method || !r.dataset || !r.metric || !Number.isFinite(mean) || !Number.isFinite(std)) {
        throw new Error(
          `published table: bad row ${JSON.stringify(r)} (expected method,dataset,metric,mean,std)`,
        );
      }
      t.#cells.set(`${r.method}|${r.dataset}|${r.metric}`, { mean, std });
    }
    return t;
  }

  /**
   * The published cell, or `undefined`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * assert.equal((await loadPublished("table4.csv")).get("ibml", "crema-d", "ratio")?.mean, 1.55);
   * ```
   */
  get(method: string, dataset: string, metric: string): PublishedCell | undefined {
    return this.#cells.get(`${method}|${dataset}|${metric}`);
  }

  /** Number of cells. */
  get size(): number {
    return this.#cells.size;
  }

  /**
   * Every cell as `[method, dataset, metric, cell]`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * assert.equal([...(await loadPublished("table5.csv")).entries()].length, 24);
   * ```
   */
  *entries(): Generator<[string, string, string, PublishedCell]> {
    for (const [k, v] of this.#cells) {
      const [method, dataset, metric] = k.split("|");
      yield [method, dataset, metric, v];
    }
  }
}

/**
 * Reads a published table from `results/published/` (or `dir`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t2 = await loadPublished("table2.csv");
 * assert.equal(t2.get("concat", "crema-d", "visual")?.mean, 24.51);
 * ```
 */
export async function loadPublished(
  file: string,
  dir: string = PUBLISHED_DIR,
): Promise<PublishedTable> {
  return PublishedTable.parse(await Deno.readTextFile(`${dir.replace(/\/?$/, "/")}${file}`));
}
