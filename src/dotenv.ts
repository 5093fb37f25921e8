/**
 * `.env` files: KEY=VALUE lines, read next to the executable and in the current folder (the
 * current folder's winning); the real environment wins over both.
 */
import { readFileSync, statSync } from "node:fs";
import { folderOf, joinPath } from "./file-paths.ts";
import { ConfigError, type Env, type Runtime } from "./config.ts";

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/**
 * Parses a .env text: `KEY=value`, `export KEY=value`, `# comments`, blank lines, values in
 * single quotes (literal) or double quotes (with \n, \t, \" and \\ escapes). A line that is none
 * of these is an error naming its line number.
 */
export function parseDotenv(text: string, source = ".env"): Map<string, string> {
  const values = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    if (/^\s*(#.*)?$/.test(raw)) return;
    const match = LINE.exec(raw);
    if (!match) throw new ConfigError(`${source}:${index + 1}: expected KEY=value`);
    values.set(match[1]!, unquote(match[2]!, `${source}:${index + 1}`));
  });
  return values;
}

function unquote(value: string, where: string): string {
  const quote = value[0];
  if (quote === "'" || quote === '"') {
    const end = value.lastIndexOf(quote);
    if (end === 0) throw new ConfigError(`${where}: unterminated ${quote} quote`);
    if (!/^\s*(#.*)?$/.test(value.slice(end + 1))) throw new ConfigError(`${where}: text after the closing quote`);
    const inner = value.slice(1, end);
    if (quote === "'") return inner;
    return inner.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" })[c]!);
  }
  const comment = value.search(/\s#/);
  return (comment === -1 ? value : value.slice(0, comment)).trim();
}

/**
 * The .env files read, in the order read (a later one wins): the executable's own (its
 * settings wherever it is started from), then the current folder's (those of the project or
 * deployment one works in). From source, the current folder's only.
 */
export function dotenvPaths(runtime: Runtime): string[] {
  const here = joinPath(runtime.cwd, ".env");
  if (!runtime.compiled) return [here];
  const beside = joinPath(folderOf(runtime.execPath), ".env");
  return beside === here ? [here] : [beside, here];
}

/** The environment with the .env files' values under it: what is set for real wins, then the last file. */
export function withDotenv(env: Env, paths: string | readonly string[]): Env {
  const merged: Env = {};
  for (const path of typeof paths === "string" ? [paths] : paths) {
    for (const [key, value] of readDotenv(path)) merged[key] = value;
  }
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return merged;
}

/** A file's settings; none when it does not exist (the usual case, told without an error's cost). */
function readDotenv(path: string): Map<string, string> {
  let text: string;
  try {
    if (statSync(path, { throwIfNoEntry: false }) === undefined) return new Map();
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new ConfigError(`${path}: cannot be read (${(error as Error).message})`);
  }
  return parseDotenv(text, path);
}
