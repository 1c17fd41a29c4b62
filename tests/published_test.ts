import assert from "node:assert/strict";
import { loadPublished, PublishedTable } from "../src/report/published.ts";

const PAPER = new URL("../../shared/paper/ibml-paper.txt", import.meta.url);
const paperText = (() => {
  try {
    return Deno.readTextFileSync(PAPER);
  } catch {
    return undefined;
  }
})();

const METHOD_NAMES: Record<string, string> = {
  Summation: "sum",
  Concatenation: "concat",
  "OGM-GE": "ogm-ge",
  PMR: "pmr",
  MMCosine: "mmcosine",
  AGM: "agm",
  MMPareto: "mmpareto",
  MLA: "mla",
  DGL: "dgl",
  ARL: "arl",
  InfoReg: "inforeg",
  "Our method": "ibml",
};

function methodName(label: string): string {
  const key = Object.keys(METHOD_NAMES).find((k) => label.startsWith(k));
  if (!key) throw new Error(`unknown method label in the paper: ${label}`);
  return METHOD_NAMES[key];
}

const VALUE = /([\d.]+)\s*(?:\\pm|±)\s*([\d.]+)/g;

/** Lines of the paper table that starts with `caption`, up to the first blank line after rows. */
function tableLines(caption: string): string[] {
  const lines = paperText!.split("\n");
  const start = lines.findIndex((l) => l.startsWith(caption));
  assert(start >= 0, `caption ${caption} not found in the paper`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") {
      if (out.length > 0) break;
      continue;
    }
    if ([...line.matchAll(VALUE)].length > 0) out.push(line);
  }
  return out;
}

/** Cells of the paper's accuracy tables (2 and 3): method, "Test" row label, column index. */
function accuracyCells(
  caption: string,
): { method: string; row: string; values: [number, number][] }[] {
  let method = "";
  return tableLines(caption).map((line) => {
    const cols = line.split("\t");
    if (cols[0].trim() !== "") method = methodName(cols[0].trim());
    const values = [...line.matchAll(VALUE)].map((m) =>
      [Number(m[1]), Number(m[2])] as [number, number]
    );
    return { method, row: cols[1].trim(), values };
  });
}

const skip = paperText === undefined;

Deno.test({
  name: "published: Table 2 matches every cell of the paper text",
  ignore: skip,
  fn: async () => {
    const t = await loadPublished("table2.csv");
    const datasets = ["crema-d", "ave", "avsbench", "vggsound50"];
    const metric: Record<string, string> = { Fusion: "fusion", Audio: "audio", Video: "visual" };
    const cells = accuracyCells("TABLE 2:");
    assert.deepEqual(cells.length, 36);
    for (const c of cells) {
      c.values.forEach(([mean, std], i) => {
        assert.deepEqual(
          t.get(c.method, datasets[i], metric[c.row]),
          { mean, std },
          `${c.method} ${c.row} ${datasets[i]}`,
        );
      });
    }
    assert.deepEqual(t.size, 144);
  },
});

Deno.test({
  name: "published: Table 3 matches every cell of the paper text",
  ignore: skip,
  fn: async () => {
    const t = await loadPublished("table3.csv");
    const datasets = ["mvsa", "food101", "mnist3d", "modelnet40"];
    const metric = (row: string, d: string) =>
      row === "Fusion"
        ? "fusion"
        : row === "Image/2D"
        ? "image"
        : d === "mvsa" || d === "food101"
        ? "text"
        : "points";
    const cells = accuracyCells("TABLE 3:");
    assert.deepEqual(cells.length, 36);
    for (const c of cells) {
      c.values.forEach(([mean, std], i) => {
        assert.deepEqual(t.get(c.method, datasets[i], metric(c.row, datasets[i])), { mean, std });
      });
    }
  },
});

Deno.test({
  name: "published: Tables 4 and 5 match the paper text",
  ignore: skip,
  fn: async () => {
    const t4 = await loadPublished("table4.csv");
    const lines4 = tableLines("TABLE 4:");
    assert.deepEqual(lines4.length, 6);
    for (const line of lines4) {
      const method = methodName(line.split("\t")[0].trim());
      const values = [...line.matchAll(VALUE)];
      ["crema-d", "mvsa", "mnist3d"].forEach((d, i) => {
        assert.deepEqual(t4.get(method, d, "ratio"), {
          mean: Number(values[i][1]),
          std: Number(values[i][2]),
        });
      });
    }
    const t5 = await loadPublished("table5.csv");
    const variants = ["full", "no-tcm", "no-warmup", "bio-only", "tcm-only", "concat"];
    const lines5 = tableLines("TABLE 5:");
    assert.deepEqual(lines5.length, 6);
    lines5.forEach((line, row) => {
      assert(line.startsWith(`#${row + 1}`));
      const values = [...line.matchAll(VALUE)];
      ["audio", "visual", "fusion", "ratio"].forEach((m, i) => {
        assert.deepEqual(t5.get(variants[row], "crema-d", m), {
          mean: Number(values[i][1]),
          std: Number(values[i][2]),
        });
      });
    });
  },
});

Deno.test({
  name: "published: hand-checked cells (as read in the paper's PDF text)",
  ignore: skip,
  fn: async () => {
    const t2 = await loadPublished("table2.csv");
    const t3 = await loadPublished("table3.csv");
    const t4 = await loadPublished("table4.csv");
    const t5 = await loadPublished("table5.csv");
    // Each of these strings appears in the paper on the row named in the comment.
    assert(paperText!.includes("80.78 \\pm 0.77\t70.15 \\pm 1.07")); // Table 2, Our method, Fusion
    assert.deepEqual(t2.get("ibml", "crema-d", "fusion"), { mean: 80.78, std: 0.77 });
    assert.deepEqual(t2.get("ibml", "ave", "fusion"), { mean: 70.15, std: 1.07 });
    assert(paperText!.includes("24.51 \\pm 1.47")); // Table 2, Concatenation, Video
    assert.deepEqual(t2.get("concat", "crema-d", "visual"), { mean: 24.51, std: 1.47 });
    assert(paperText!.includes("32.00 ± 10.1")); // Table 3, Summation, Image/2D, 3D MNIST
    assert.deepEqual(t3.get("sum", "mnist3d", "image"), { mean: 32, std: 10.1 });
    // The Table 3 anomaly is transcribed as printed.
    assert.deepEqual(
      t3.get("concat", "mnist3d", "image")?.mean,
      t3.get("concat", "modelnet40", "image")?.mean,
    );
    assert.deepEqual(t3.get("concat", "mnist3d", "points")?.mean, 50.19);
    assert(paperText!.includes("8.44 ± 0.20")); // Table 4, Concatenation, 3D MNIST
    assert.deepEqual(t4.get("concat", "mnist3d", "ratio"), { mean: 8.44, std: 0.2 });
    assert(paperText!.includes("4.19 \\pm 0.29")); // Table 5, #6
    assert.deepEqual(t5.get("concat", "crema-d", "ratio"), { mean: 4.19, std: 0.29 });
  },
});

Deno.test("published: parse rejects a malformed row", () => {
  let message = "";
  try {
    PublishedTable.parse("method,dataset,metric,mean,std\nibml,crema-d,fusion,abc,0.1\n");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("bad row"), message);
});
