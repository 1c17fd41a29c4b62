import assert from "node:assert/strict";
import {
  HUGE_PAGES_TUNABLE,
  hugePagesNote,
  tunableValue,
  withHugePages,
} from "../../src/backend/huge_pages.ts";

Deno.test("huge_pages: the tunable is added in front of the user's, never over their own choice", () => {
  assert.equal(withHugePages(undefined), HUGE_PAGES_TUNABLE);
  assert.equal(withHugePages(""), HUGE_PAGES_TUNABLE);
  assert.equal(
    withHugePages("glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0"),
    "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0",
  );
  for (const own of ["glibc.malloc.hugetlb=0", "a=1:glibc.malloc.hugetlb=2"]) {
    assert.equal(withHugePages(own), own);
  }
  assert.equal(
    tunableValue("glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb"),
    "0",
  );
  assert.equal(tunableValue("xglibc.malloc.hugetlb=1", "glibc.malloc.hugetlb"), undefined);
});

Deno.test("huge_pages: the backend line says on, off with the fix, or nothing", () => {
  assert.equal(hugePagesNote("madvise", "glibc.malloc.hugetlb=1"), "huge pages requested");
  assert.equal(hugePagesNote("madvise", "glibc.malloc.hugetlb=2"), "huge pages requested");
  const off = hugePagesNote("madvise", "glibc.malloc.hugetlb=0");
  assert.match(off, /^huge pages off/);
  assert.ok(off.includes(`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}`), off);
  assert.match(hugePagesNote("madvise", "glibc.malloc.arena_max=2"), /^huge pages off/);
  assert.equal(hugePagesNote("always", undefined), "huge pages on");
  assert.equal(hugePagesNote("never", HUGE_PAGES_TUNABLE), "");
  assert.equal(hugePagesNote(undefined, HUGE_PAGES_TUNABLE), "");
});
