/**
 * `main.ts prepare <dataset> --from RAW --to ROOT [--jobs N] [--splits DIR]
 * [--list vggsound.csv --classes FILE]`: turns raw downloads into the layouts the
 * loaders read (src/data/prepare_av.ts for what each dataset gets). Needs ffmpeg. Says
 * what it does, resumes an interrupted run and never overwrites finished outputs.
 *
 * @module
 */
import { runCommand, UsageError } from "./command.ts";
import {
  prepareAve,
  prepareCremaD,
  type PrepareOptions,
  type PrepareSummary,
  prepareVggsound50,
} from "../data/prepare_av.ts";

const PREPARERS: Record<string, (o: PrepareOptions) => Promise<PrepareSummary>> = {
  "crema-d": prepareCremaD,
  ave: prepareAve,
  vggsound50: prepareVggsound50,
};

const USAGE = "usage: main.ts prepare <crema-d|ave|vggsound50> --from RAW --to ROOT [--jobs N] " +
  "[--splits DIR] [--list vggsound.csv --classes FILE]";

/** `prepare` has no `--help` flag, and its flag errors end in "; <usage>". */
const SPEC = {
  usage: USAGE,
  options: {
    from: { type: "string" },
    to: { type: "string" },
    jobs: { type: "string", default: "2" },
    splits: { type: "string" },
    list: { type: "string" },
    classes: { type: "string" },
  },
  positionals: true,
  help: false,
  usageSeparator: "; ",
} as const;

/**
 * Entry point of `prepare`; returns the exit code (1 when some clips failed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./prepare.ts";
 * // a real call converts a downloaded dataset: main(["crema-d", "--from", RAW, "--to", ROOT])
 * assert.equal(await main(["mvsa"]), 2); // prints "error: prepare: no preparation step for 'mvsa' ..."
 * assert.equal(await main(["crema-d"]), 2); // prints "error: --from and --to are required; ..."
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ values, positionals }) => {
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError(USAGE);
    const prep = PREPARERS[name];
    if (!prep) {
      throw new UsageError(
        `prepare: no preparation step for '${name}' (available: ${
          Object.keys(PREPARERS).join(", ")
        }); the other datasets are read as downloaded`,
      );
    }
    if (!values.from || !values.to) throw new UsageError(`--from and --to are required; ${USAGE}`);
    const jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      throw new UsageError(`--jobs must be a positive integer`);
    }
    const t0 = performance.now();
    const s = await prep({
      from: values.from,
      to: values.to,
      jobs,
      splits: values.splits,
      list: values.list,
      classes: values.classes,
      log: (l) => console.log(l),
    });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`prepare ${name}: ${s.done} clips complete, ${s.failed.length} failed (${secs} s)`);
    for (const f of s.failed.slice(0, 10)) console.log(`  failed ${f.id}: ${f.error}`);
    if (s.failed.length > 10) console.log(`  ... and ${s.failed.length - 10} more`);
    for (const n of s.notes) console.log(`note: ${n}`);
    return s.failed.length > 0 ? 1 : 0;
  });
}
