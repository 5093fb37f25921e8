/** The lock between processes sharing a data folder: never taken from a live holder, at once from a dead one. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileLock } from "../../../src/storage/json-file/file-lock.ts";
import { tempDir } from "../../helpers.ts";

const HOLDER = join(import.meta.dir, "fixtures", "lock-holder.ts");

/** Runs the holder script, optionally in a PID namespace of its own, as a container would. */
function holder(args: string[], namespace = false) {
  const command = [process.execPath, HOLDER, ...args];
  return Bun.spawn(namespace ? ["unshare", "--pid", "--fork", "--kill-child", ...command] : command, { stdout: "pipe", stderr: "pipe" });
}

/** A process that holds the lock until killed; resolves once it said so. */
async function heldElsewhere(path: string, namespace = false, kind?: string) {
  const child = holder(["hold", path, ...(kind ? [kind] : [])], namespace);
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toBe("held\n");
  return child;
}

async function attemptElsewhere(path: string, namespace = false): Promise<string> {
  const child = holder(["try", path], namespace);
  await child.exited;
  return (await new Response(child.stdout as ReadableStream).text()).trim();
}

const canUnshare = Bun.spawnSync(["unshare", "--pid", "--fork", "true"]).exitCode === 0;

describe("FileLock (flock)", () => {
  test("one holder at a time, between locks of one process", () => {
    const path = join(tempDir(), "l.lock");
    const a = new FileLock(path);
    const b = new FileLock(path);
    expect(a.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    a.release();
    expect(b.tryAcquire()).toBe(true);
    b.close();
    a.close();
  });

  test("an empty lock file, or one naming a dead pid, is no obstacle", () => {
    for (const content of ["", `${Bun.spawnSync(["true"]).pid} stale`]) {
      const path = join(tempDir(), "l.lock");
      writeFileSync(path, content);
      const lock = new FileLock(path);
      expect(lock.tryAcquire()).toBe(true);
      lock.close();
    }
  });

  test("a live holder in another process is never taken over; once it is killed (-9) the lock is free at once", async () => {
    const path = join(tempDir(), "l.lock");
    const child = await heldElsewhere(path);
    const lock = new FileLock(path);
    expect(lock.tryAcquire()).toBe(false);
    await Bun.sleep(100);
    expect(lock.tryAcquire()).toBe(false);
    child.kill("SIGKILL");
    await child.exited;
    expect(lock.tryAcquire()).toBe(true);
    lock.close();
  });

  test.skipIf(!canUnshare)("holds across PID namespaces, both ways (a container beside the server)", async () => {
    const path = join(tempDir(), "l.lock");
    // The holder runs where its pid means nothing to us.
    const inside = await heldElsewhere(path, true);
    const lock = new FileLock(path);
    expect(lock.tryAcquire()).toBe(false);
    inside.kill("SIGKILL");
    await inside.exited;
    for (let i = 0; i < 50 && !lock.tryAcquire(); i++) await Bun.sleep(10);
    // We hold it: a process in a namespace of its own cannot take it.
    expect(await attemptElsewhere(path, true)).toBe("refused");
    lock.release();
    expect(await attemptElsewhere(path, true)).toBe("acquired");
    lock.close();
  });
});

describe("FileLock (pid file, where flock cannot be loaded)", () => {
  test("a lock naming a dead process is taken over; a live one is not", async () => {
    const path = join(tempDir(), "l.lock");
    writeFileSync(path, `${Bun.spawnSync(["true"]).pid} stale`);
    const lock = new FileLock(path, "pid-file");
    await lock.acquire();
    lock.release();
    const child = await heldElsewhere(path, false, "pid-file");
    expect(lock.tryAcquire()).toBe(false);
    child.kill("SIGKILL");
    await child.exited;
    await lock.acquire();
    lock.close();
  });
});
