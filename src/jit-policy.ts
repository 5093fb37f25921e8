/**
 * The JIT while the server starts. The executable is built with JavaScriptCore's tier-up
 * thresholds scaled up (`--compile-jit-policy`, scripts/lib/spawn-server.ts): code that runs once
 * at start-up stays in the interpreter, and no JIT compiler is paged in before the first answer.
 * The usual policy comes back when the server listens, or earlier, before a data file so large
 * that loading it is worth compiling. A CLI command keeps the start-up policy (its work runs
 * once too) unless it loads such a file.
 */

/** Bytes of a data file or journal from which loading it gets the usual JIT (some 3,000 users). */
export const JIT_WORTHY_BYTES = 1 << 20;

/** The usual tier-up thresholds, for the rest of the process (a no-op when they are already). */
export function useUsualJit(): void {
  Bun.unsafe.setJITPolicy(1);
}

/** Before loading `bytes` of a data file or journal: the usual JIT when they are worth it. */
export function beforeLoading(bytes: number): void {
  if (bytes > JIT_WORTHY_BYTES) useUsualJit();
}
