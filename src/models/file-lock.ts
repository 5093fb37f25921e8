/**
 * An exclusive lock between processes (and store instances) sharing a data folder: a lock file
 * created with O_EXCL holding the owner's pid. A lock left by a process that died (kill -9) is
 * taken over once that pid no longer runs.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";

const WAIT_LIMIT_MS = 10_000;

export class LockTimeoutError extends Error {
  override name = "LockTimeoutError";
}

export class FileLock {
  private readonly token = `${process.pid} ${crypto.randomUUID()}`;
  private held = false;

  constructor(readonly path: string) {}

  async acquire(): Promise<void> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (let attempt = 0; !this.tryAcquire(); attempt++) {
      if (Date.now() > deadline) throw new LockTimeoutError(`${this.path}: held by another process for over ${WAIT_LIMIT_MS} ms`);
      await Bun.sleep(Math.min(1 + attempt, 25));
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      if (readFileSync(this.path, "utf8") === this.token) unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }

  /** One attempt: true once the lock is ours. */
  private tryAcquire(): boolean {
    try {
      const fd = openSync(this.path, "wx", 0o600);
      try {
        writeSync(fd, this.token);
      } finally {
        closeSync(fd);
      }
      this.held = true;
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    this.removeIfStale();
    return false;
  }

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
