/** The data folder, checked before use: start-up and the CLI refuse one they could not use. */
import { accessSync, closeSync, constants, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { joinPath } from "../file-paths.ts";
import { ConfigError } from "../config.ts";

/** For commands that only read: the folder must exist and be readable. */
export function checkReadableDataDir(dataDir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dataDir).isDirectory();
  } catch {
    throw new ConfigError(`DATA_DIR ${dataDir} does not exist`);
  }
  if (!isDirectory) throw new ConfigError(`DATA_DIR ${dataDir} is not a folder`);
  try {
    accessSync(dataDir, constants.R_OK | constants.X_OK);
  } catch {
    throw new ConfigError(`DATA_DIR ${dataDir} is not readable`);
  }
}

/**
 * For the server and the commands that write: one real write, removed, since permission bits
 * alone do not tell (root passes access() in /proc, a full or read-only file system is found
 * only by writing). Not fsynced: a read-only file system refuses the open, a full one the
 * write (its blocks are reserved then), and an fsync would cost every start-up a disk flush,
 * 1 to 50 ms.
 */
export function checkDataDir(dataDir: string): void {
  checkReadableDataDir(dataDir);
  try {
    accessSync(dataDir, constants.W_OK);
  } catch {
    throw new ConfigError(`DATA_DIR ${dataDir} is not writable`);
  }
  const probe = joinPath(dataDir, `.session-auth-write-check.${process.pid}.${crypto.randomUUID()}`);
  try {
    const fd = openSync(probe, "wx", 0o600);
    try {
      writeSync(fd, "ok");
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (error) {
    throw new ConfigError(`DATA_DIR ${dataDir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
