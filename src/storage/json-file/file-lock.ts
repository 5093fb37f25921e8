/**
 * An exclusive lock between processes (and store instances) sharing a data folder.
 *
 * Where the C library can be loaded (Linux, macOS) it is flock(2) on a lock file that stays in
 * place: the kernel itself releases it when its holder dies, whatever PID namespace (container)
 * that holder ran in, so a live holder is never taken over and a dead one (kill -9) never
 * blocks anyone. Elsewhere (Windows) the lock is a file created with O_EXCL holding the owner's
 * pid, taken over once that pid no longer runs: that fallback cannot see across PID namespaces.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";

const WAIT_LIMIT_MS = 10_000;

export class LockTimeoutError extends Error {
  override name = "LockTimeoutError";
}

/** How one attempt is made; the two kinds of lock differ only in this. */
interface LockMethod {
  /** True once the lock is ours. */
  tryAcquire(): boolean;
  release(): void;
  /** Releases what the method holds open (the flock descriptor). */
  close(): void;
}

export class FileLock {
  private chosen: LockMethod | null = null;
  private held = false;

  /** `kind` is for tests of the fallback; by default flock wherever it can be loaded. */
  constructor(
    readonly path: string,
    private readonly kind?: "flock" | "pid-file",
  ) {}

  /** Chosen at the first use: loading flock costs a start-up that only reads about a millisecond. */
  private get method(): LockMethod {
    if (this.chosen === null) {
      const flock = this.kind === "pid-file" ? null : loadFlock();
      this.chosen = flock !== null ? new FlockMethod(this.path, flock) : new PidFileMethod(this.path);
    }
    return this.chosen;
  }

  /** Waits up to 10 s for the lock. */
  async acquire(): Promise<void> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (let attempt = 0; !this.tryAcquire(); attempt++) {
      if (Date.now() > deadline) throw new LockTimeoutError(`${this.path}: held by another process for over ${WAIT_LIMIT_MS} ms`);
      await Bun.sleep(Math.min(1 + attempt, 25));
    }
  }

  /** One attempt without waiting: true once the lock is ours. */
  tryAcquire(): boolean {
    if (this.held) throw new Error(`${this.path}: already held by this lock`);
    this.held = this.method.tryAcquire();
    return this.held;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.method.release();
  }

  /** Releases the lock if held, and the file descriptor behind it. */
  close(): void {
    this.release();
    this.chosen?.close();
  }
}

type Flock = (fd: number, operation: number) => number;

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

let flockFunction: Flock | null | undefined;

/** libc's flock, or null where it cannot be loaded; looked up once per process. */
function loadFlock(): Flock | null {
  if (flockFunction !== undefined) return flockFunction;
  flockFunction = null;
  if (process.platform === "win32") return null;
  const libraries = process.platform === "darwin" ? ["libSystem.B.dylib"] : ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`];
  // Required here, not imported: loading bun:ffi costs a start-up about 2 ms, and a server
  // that only reads never locks.
  const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
  for (const library of libraries) {
    try {
      const { symbols } = dlopen(library, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
      flockFunction = (fd, operation) => symbols.flock(fd, operation);
      break;
    } catch {
      // Not this C library; try the next.
    }
  }
  return flockFunction;
}

/** flock(2) on a descriptor kept open for the lock's lifetime; the file is never removed. */
class FlockMethod implements LockMethod {
  private fd: number | null = null;

  constructor(
    private readonly path: string,
    private readonly flock: Flock,
  ) {}

  tryAcquire(): boolean {
    // Opened on first use: a read-only command that never writes never creates the file.
    this.fd ??= openSync(this.path, "a", 0o600);
    return this.flock(this.fd, LOCK_EX | LOCK_NB) === 0;
  }

  release(): void {
    if (this.fd !== null) this.flock(this.fd, LOCK_UN);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** The fallback: a lock file created with O_EXCL, holding its owner's pid. */
class PidFileMethod implements LockMethod {
  private readonly token = `${process.pid} ${crypto.randomUUID()}`;

  constructor(private readonly path: string) {}

  tryAcquire(): boolean {
    try {
      const fd = openSync(this.path, "wx", 0o600);
      try {
        writeSync(fd, this.token);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    this.removeIfStale();
    return false;
  }

  release(): void {
    try {
      if (readFileSync(this.path, "utf8") === this.token) unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }

  close(): void {}

  private removeIfStale(): void {
    let owner: string;
    try {
      owner = readFileSync(this.path, "utf8");
    } catch {
      return; // Released meanwhile; the next attempt may succeed.
    }
    const pid = Number.parseInt(owner, 10);
    if (Number.isInteger(pid) && pid > 0) {
      if (isRunning(pid)) return;
    } else if (!olderThan(this.path, 2000)) {
      // A holder between creating the file and writing its pid; only a long-empty file is stale.
      return;
    }
    try {
      if (readFileSync(this.path, "utf8") === owner) unlinkSync(this.path);
    } catch {
      // Someone else cleaned it up first.
    }
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
