/**
 * Tests for src/kernels/blas.ts: what the backend line says when OpenBLAS cannot be opened
 * (in a subprocess, since the library is looked up once per process).
 */
import { assert, assertEquals } from "./assert.ts";
import { openFailure } from "../src/kernels/blas.ts";

async function statusWith(env: Record<string, string>): Promise<string> {
  const code = 'import { blasStatus } from "./src/kernels/blas.ts"; console.log(blasStatus());';
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  return new TextDecoder().decode(r.stdout).trim();
}

Deno.test("blasStatus: a library that cannot be opened is named once, with the fix", async () => {
  const line = await statusWith({ IBML_BLAS_LIB: "/nonexistent/libopenblas-test.so" });
  if (line.startsWith("OpenBLAS not found")) {
    assert(line.includes("/nonexistent/libopenblas-test.so: cannot open shared object file"), line);
    assert(!line.includes("Could not open library"), line); // Deno's repeated prefix is dropped
    assert(line.includes("apt-get install libopenblas0-pthread"), line);
  } else {
    // The machine has OpenBLAS: the missing override is skipped for the system library.
    assert(/\(libopenblas\.so(\.0)?\)/.test(line), line);
  }
  assertEquals(await statusWith({ IBML_BLAS: "0" }), "switched off by IBML_BLAS=0");
});

Deno.test("openFailure: Deno's own dlopen error for a missing library reads once, with dlopen's reason", () => {
  // The subprocess test above reaches the message only on a machine without OpenBLAS (else the
  // system library loads after the missing override); this takes Deno's real error here.
  const library = "/nonexistent/libopenblas-test.so";
  let message = "";
  try {
    Deno.dlopen(library, {});
  } catch (err) {
    message = (err as Error).message.split("\n")[0];
  }
  assert(message.includes("Could not open library"), `unexpected dlopen error: ${message}`);
  assertEquals(
    openFailure(library, message),
    `${library}: cannot open shared object file: No such file or directory`,
  );
});
