/**
 * Prints the layout metrics of the source tree: the floors of `src/` and their file
 * counts, import circles, imports that go up a floor (scripts/import_graph.ts), duplicated
 * blocks of 6 or more lines in `src/` and `tests/`, and the 10 largest `src/` files.
 *
 * Usage: `deno run -A scripts/layout_metrics.ts`
 *
 * A duplicated block is a maximal run of at least {@linkcode MIN_BLOCK} consecutive lines
 * of one file that also occurs somewhere else (same file or another). Lines are compared
 * with their whitespace normalised (trimmed, inner runs collapsed to one space); lines
 * without a letter or digit (blank lines, lone braces, comment fences) are left out before
 * comparing, so they neither make nor break a block.
 *
 * @module
 */
import { join } from "node:path";
import {
  findCircles,
  floorOf,
  FLOORS,
  listTs,
  PROJECT_ROOT,
  readImportGraph,
  upArrows,
} from "./import_graph.ts";

/** Shortest run of lines counted as a duplicated block. */
export const MIN_BLOCK = 6;

/** A maximal duplicated run of lines in one file (1-based, inclusive line numbers). */
export interface DuplicateBlock {
  /** The file. */
  file: string;
  /** First line. */
  start: number;
  /** Last line. */
  end: number;
  /** Compared (non-trivial) lines in the run. */
  lines: number;
}

/**
 * The duplicated blocks of `files` (paths relative to `root`). With `codeOnly`, comment
 * lines (JSDoc blocks with their examples, `//` lines) are left out before comparing.
 */
export function duplicateBlocks(
  root: string,
  files: string[],
  codeOnly = false,
): DuplicateBlock[] {
  const kept = files.map((file) => {
    const lines: { text: string; line: number }[] = [];
    let inComment = false;
    Deno.readTextFileSync(join(root, file)).split("\n").forEach((raw, i) => {
      const text = raw.trim().replace(/\s+/g, " ");
      if (codeOnly) {
        const opens = text.startsWith("/*");
        if (inComment || opens) {
          inComment = !text.includes("*/");
          return;
        }
        if (text.startsWith("//")) return;
      }
      if (/[A-Za-z0-9]/.test(text)) lines.push({ text, line: i + 1 });
    });
    return lines;
  });
  const windows = new Map<string, number>();
  const key = (lines: { text: string }[], i: number) =>
    lines.slice(i, i + MIN_BLOCK).map((l) => l.text).join("\n");
  for (const lines of kept) {
    for (let i = 0; i + MIN_BLOCK <= lines.length; i++) {
      const k = key(lines, i);
      windows.set(k, (windows.get(k) ?? 0) + 1);
    }
  }
  const blocks: DuplicateBlock[] = [];
  kept.forEach((lines, f) => {
    const covered = new Array<boolean>(lines.length).fill(false);
    for (let i = 0; i + MIN_BLOCK <= lines.length; i++) {
      if (windows.get(key(lines, i))! > 1) covered.fill(true, i, i + MIN_BLOCK);
    }
    for (let i = 0; i < lines.length; i++) {
      if (!covered[i]) continue;
      let j = i;
      while (j + 1 < lines.length && covered[j + 1]) j++;
      blocks.push({ file: files[f], start: lines[i].line, end: lines[j].line, lines: j - i + 1 });
      i = j;
    }
  });
  return blocks;
}

function lineCount(root: string, file: string): number {
  const text = Deno.readTextFileSync(join(root, file));
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** Prints the metrics of the project at `root`. */
export function printMetrics(root: string = PROJECT_ROOT): void {
  const graph = readImportGraph(root);
  const files = [...graph.keys()];
  console.log(`src/ files: ${files.length}`);
  console.log("\nFloors (lowest first; a file imports only its own floor or below):");
  FLOORS.forEach((floor, i) => {
    const n = files.filter((f) => floorOf(f) === i).length;
    console.log(
      `  ${i} ${floor.name.padEnd(11)} ${String(n).padStart(3)}  ${floor.members.join(", ")}`,
    );
  });
  const unplaced = files.filter((f) => floorOf(f) < 0);
  if (unplaced.length) console.log(`  on no floor: ${unplaced.join(", ")}`);

  const circles = findCircles(graph);
  console.log(
    `\nCircles: ${circles.length}${
      circles.length ? ` (sizes ${circles.map((c) => c.length).join(", ")})` : ""
    }`,
  );
  for (const c of circles) console.log(`  ${c.length} files: ${c.join(" ")}`);

  const arrows = upArrows(graph);
  const pairs = new Map<string, number>();
  for (const a of arrows) {
    const k = `${a.fromFloor} -> ${a.toFloor}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
  }
  console.log(
    `\nBack-up arrows (imports going up a floor): ${arrows.length} imports, ${pairs.size} floor pairs`,
  );
  for (const [k, n] of pairs) console.log(`  ${k}: ${n}`);
  for (const a of arrows) console.log(`  ${a.from} -> ${a.to}`);

  const scanned = [...listTs(root, "src"), ...listTs(root, "tests")];
  const blocks = duplicateBlocks(root, scanned);
  const dupLines = blocks.reduce((s, b) => s + b.lines, 0);
  console.log(
    `\nDuplicated blocks (>= ${MIN_BLOCK} lines, src/ and tests/): ${blocks.length} blocks, ` +
      `${dupLines} lines, in ${new Set(blocks.map((b) => b.file)).size} files`,
  );
  const code = duplicateBlocks(root, scanned, true);
  console.log(
    `  code only (comments and doc examples left out): ${code.length} blocks, ` +
      `${code.reduce((s, b) => s + b.lines, 0)} lines, in ${
        new Set(code.map((b) => b.file)).size
      } files`,
  );

  console.log("\nLargest src/ files (lines):");
  const sizes = files.map((f) => ({ f, n: lineCount(root, f) })).sort((a, b) =>
    b.n - a.n || (a.f < b.f ? -1 : 1)
  );
  for (const { f, n } of sizes.slice(0, 10)) console.log(`  ${String(n).padStart(5)} ${f}`);
}

if (import.meta.main) printMetrics();
