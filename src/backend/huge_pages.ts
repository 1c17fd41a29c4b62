/**
 * Transparent huge pages for the native engine's memory.
 *
 * TensorFlow's CPU allocator takes its blocks from glibc's `malloc`, which maps large blocks
 * with the kernel's 4 KiB pages. Where the system's transparent-huge-page mode is `madvise`
 * (Debian's and Ubuntu's default), glibc 2.35 and later ask for 2 MiB pages when started with
 * `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`: the first training step, which faults in
 * gigabytes of fresh blocks, gets faster (paper CREMA-D pair 27-31 s -> 17-22 s, DGCNN
 * 26 s -> 6-8 s); later steps stay the same within noise (bench/README.md, "Huge pages").
 * glibc reads the variable when a process starts, so a running process cannot switch it on
 * for itself: the project sets it for the
 * processes it starts (sweep workers, Slurm tasks, bench children, the native test task), and
 * {@link hugePagesNote} tells a process started without it. Other C libraries and older glibc
 * ignore the variable. glibc 2.35-2.36 (Debian 12's) compare the system's mode with a read
 * buffer they do not terminate, so in some processes the tunable is silently ignored (here:
 * about one native process in ten, about half of small scripts, and
 * every try in one CI run). The setting changes no
 * number (tests/native_test.ts).
 *
 * @module
 */

/** The glibc tunable that asks `malloc` for transparent huge pages. */
export const HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1";

/** Where Linux says its transparent-huge-page mode (`always [madvise] never`). */
const THP_MODE_FILE = "/sys/kernel/mm/transparent_hugepage/enabled";

/**
 * `GLIBC_TUNABLES` with {@link HUGE_PAGES_TUNABLE} added in front, unless the value already
 * sets `glibc.malloc.hugetlb` (the user's choice stands). Tunables are `name=value` pairs
 * joined by `:`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withHugePages } from "./huge_pages.ts";
 * assert.equal(withHugePages(undefined), "glibc.malloc.hugetlb=1");
 * const both = withHugePages("glibc.malloc.arena_max=2");
 * assert.equal(both, "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=2");
 * assert.equal(withHugePages("glibc.malloc.hugetlb=0"), "glibc.malloc.hugetlb=0");
 * ```
 */
export function withHugePages(tunables: string | undefined): string {
  if (!tunables) return HUGE_PAGES_TUNABLE;
  if (tunableValue(tunables, "glibc.malloc.hugetlb") !== undefined) return tunables;
  return `${HUGE_PAGES_TUNABLE}:${tunables}`;
}

/**
 * The environment entry a child process needs for huge pages: `GLIBC_TUNABLES` of this
 * process with {@link HUGE_PAGES_TUNABLE} added ({@link withHugePages}). Pass it in a
 * `Deno.Command`'s `env`, which adds to the inherited environment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hugePagesEnv } from "./huge_pages.ts";
 * assert.match(hugePagesEnv().GLIBC_TUNABLES, /glibc\.malloc\.hugetlb=/);
 * ```
 */
export function hugePagesEnv(): { GLIBC_TUNABLES: string } {
  return { GLIBC_TUNABLES: withHugePages(Deno.env.get("GLIBC_TUNABLES")) };
}

/**
 * The value of one tunable in a `GLIBC_TUNABLES` string (the last one wins, as in glibc),
 * or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tunableValue } from "./huge_pages.ts";
 * assert.equal(tunableValue("a=1:glibc.malloc.hugetlb=2", "glibc.malloc.hugetlb"), "2");
 * assert.equal(tunableValue("a=1", "glibc.malloc.hugetlb"), undefined);
 * ```
 */
export function tunableValue(tunables: string, name: string): string | undefined {
  let value: string | undefined;
  for (const pair of tunables.split(":")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq) === name) value = pair.slice(eq + 1);
  }
  return value;
}

/**
 * The system's transparent-huge-page mode (`always`, `madvise` or `never`), or undefined
 * where the file is missing or unreadable (not Linux, no permission).
 *
 * @example
 * ```ts
 * import { thpMode } from "./huge_pages.ts";
 * console.log(thpMode() ?? "unknown"); // "madvise" on Debian
 * ```
 */
export function thpMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(Deno.readTextFileSync(THP_MODE_FILE))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Memory of this process in transparent huge pages (MiB: `AnonHugePages` of
 * /proc/self/smaps_rollup), or undefined where that file cannot be read (not Linux).
 *
 * @example
 * ```ts
 * import { hugePagesMib } from "./huge_pages.ts";
 * console.log(`${hugePagesMib() ?? "unknown"} MiB in huge pages`);
 * ```
 */
export function hugePagesMib(): number | undefined {
  try {
    const rollup = Deno.readTextFileSync("/proc/self/smaps_rollup");
    const m = /AnonHugePages:\s+(\d+)\s+kB/.exec(rollup);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A few words for the backend reason line (`mode`: {@link thpMode}, `tunables`: this process's
 * `GLIBC_TUNABLES`): whether its large blocks get huge pages, and how to get them when not:
 * "on" when the system mode is `always`, "requested" when `GLIBC_TUNABLES` asks for them
 * (mode `madvise`; glibc 2.36 may still ignore it, see above), "off" with the fix otherwise;
 * nothing to say (empty) where the system has no transparent huge pages or its mode cannot be
 * read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hugePagesNote } from "./huge_pages.ts";
 * assert.equal(hugePagesNote("madvise", "glibc.malloc.hugetlb=1"), "huge pages requested");
 * assert.match(hugePagesNote("madvise", undefined), /^huge pages off \(start with GLIBC_/);
 * assert.equal(hugePagesNote("always", undefined), "huge pages on");
 * assert.equal(hugePagesNote(undefined, undefined), "");
 * ```
 */
export function hugePagesNote(
  mode: string | undefined,
  tunables: string | undefined,
): string {
  if (mode === "always") return "huge pages on";
  if (mode !== "madvise") return "";
  const asked = tunables ? tunableValue(tunables, "glibc.malloc.hugetlb") : undefined;
  if (asked !== undefined && asked !== "0") return "huge pages requested";
  return `huge pages off (start with GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE} for faster first steps)`;
}
