/**
 * What the HTTP benchmarks share: wrk runs against a server, with the server's CPU time per
 * request read from /proc, servers and wrk placed on cores of their own, and the table they print.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerProcess } from "./spawn-server.ts";

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

/** What Caddy and Traefik send verify about the request they guard. */
export const PROXY_HEADERS = { "X-Forwarded-Proto": "http", "X-Forwarded-Host": "wiki.example.com", "X-Forwarded-Uri": "/pages/Start?action=edit", "X-Forwarded-Method": "GET" };

export interface Workload {
  name: string;
  target: () => ServerProcess;
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  expectStatus: number;
  /** The ceiling pays one password verify per request (login). */
  verify?: { password: string; hash: string };
  /** The floor's credential (FLOOR_CREDENTIAL) and how many other sessions it keeps; "none" for GET /status. */
  floor?: { credential: string; sessions: number };
}

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time (user + system) per request, in µs. */
  cpuUs: number;
}

/**
 * Servers on the first core and wrk on the second, when there are two and taskset can place
 * them. A server is started on its core rather than moved there, so that the threads Bun
 * sizes by the cores it may use at start are sized for the one core it gets. Logins are
 * measured on every core, server and ceiling alike: they hash on Bun's thread pool, and their
 * measure is the hashing the machine can do.
 */
export function cpuPinning(): { server: string[]; load: string[] } {
  const placeable = (cpu: number) => Bun.which("taskset") !== null && Bun.spawnSync(["taskset", "-c", String(cpu), "true"]).exitCode === 0;
  if (navigator.hardwareConcurrency < 2 || !placeable(0) || !placeable(1)) return { server: [], load: [] };
  return { server: ["taskset", "-c", "0"], load: ["taskset", "-c", "1"] };
}

/** CPU time a process has used so far, in µs (from /proc; NaN where there is none). */
export function cpuTimeUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

export const PIN = cpuPinning();

export function requireWrk(): void {
  if (Bun.which("wrk")) return;
  console.error("wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk (macOS: brew install wrk)");
  process.exit(2);
}

/**
 * Runs wrk once and reads req/s and the 50th and 99th percentile latencies (ms). Asynchronous,
 * so that this process keeps draining the servers' access logs meanwhile.
 */
export async function wrk(server: ServerProcess, workload: Workload, seconds: number, cpuOf: readonly ServerProcess[] = [server]): Promise<Run> {
  const script = join(tmpdir(), `session-auth-bench-${process.pid}.lua`);
  const lines = [`wrk.method = "${workload.method ?? "GET"}"`];
  for (const [name, value] of Object.entries(workload.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  if (workload.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(workload.body)}`);
  writeFileSync(script, `${lines.join("\n")}\n`);
  const cpuTotal = () => cpuOf.reduce((sum, { process }) => sum + cpuTimeUs(process.pid), 0);
  const cpuBefore = cpuTotal();
  const child = Bun.spawn([...PIN.load, "wrk", "-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-s", script, `${server.base}${workload.path}`], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const cpuUsed = cpuTotal() - cpuBefore;
  rmSync(script, { force: true });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const latency = (p: string) => toMs(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out));
  if (!Number.isFinite(rps)) throw new Error(`wrk failed:\n${out}${err}`);
  if (/Socket errors/.test(out)) console.error(`note: ${workload.name}: ${/Socket errors.*/.exec(out)?.[0]}`);
  return { rps, p50: latency("50"), p99: latency("99"), cpuUs: cpuUsed / requests };
}

function toMs(match: RegExpExecArray | null): number {
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function printTable(header: string[], rows: string[][]): void {
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [i, row] of table.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`);
    if (i === 0) console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  }
}
