/**
 * The rules of ACCESS_RULES, read at start-up (a bad file stops it) and again on SIGHUP or when
 * the file changes. A new version that is bad is not taken: the rules in force stay, and the log
 * says why. Requests read `current`, which is swapped whole, never edited in place.
 */
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { folderOf, lastPart } from "../../file-paths.ts";
import type { Logger } from "../../logger.ts";
import { AccessRules } from "./access-rules.ts";
import { parseRulesText, RulesFileError } from "./rules-file.ts";

/** A rules file larger than this is a mistake (a log file named by accident), not rules. */
const LARGEST_FILE = 4 * 1024 * 1024;
/** Editors write a file in several steps: it is read once they have settled. */
const SETTLE_MS = 200;

function readText(path: string): string {
  try {
    const bytes = readFileSync(path);
    if (bytes.length > LARGEST_FILE) throw new RulesFileError(`${path}: larger than ${LARGEST_FILE} bytes`);
    return bytes.toString("utf8");
  } catch (error) {
    if (error instanceof RulesFileError) throw error;
    throw new RulesFileError(`${path}: cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Reads and checks the file; RulesFileError, one line, for anything wrong with it. */
export function readRulesFile(path: string): AccessRules {
  return new AccessRules(parseRulesText(readText(path), path));
}

/** Where verify finds the rules in force. */
export interface RulesHolder {
  readonly current: AccessRules;
}

export class RulesSource implements RulesHolder {
  current: AccessRules;
  /** The text in force, and the last text refused: a watcher that fires again for either says nothing. */
  private text: string;
  private refused: string | null = null;
  private watcher: FSWatcher | null = null;
  private settle: ReturnType<typeof setTimeout> | null = null;

  /** Reads the file now: RulesFileError when it is bad. */
  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {
    this.text = readText(path);
    this.current = new AccessRules(parseRulesText(this.text, path));
  }

  /**
   * Reads the file again; true when new rules are in force. `quiet`: a read that finds the same
   * text says nothing (the watcher sees every touch of the folder).
   */
  reload(reason: string, quiet = false): boolean {
    let text: string | null = null;
    let rules: AccessRules;
    try {
      text = readText(this.path);
      if (quiet && (text === this.text || text === this.refused)) return false;
      rules = new AccessRules(parseRulesText(text, this.path));
    } catch (error) {
      if (!(error instanceof RulesFileError)) throw error;
      this.refused = text;
      this.logger.error(`access rules not reloaded (${reason}): ${error.message}; the ${this.current.size} rules read before stay in force`, { event: "access-rules-invalid", file: this.path });
      return false;
    }
    this.current = rules;
    this.text = text;
    this.refused = null;
    this.logger.info(`access rules reloaded (${reason}): ${rules.size} rules from ${this.path}`, { event: "access-rules-reloaded", file: this.path, rules: rules.size });
    return true;
  }

  /**
   * Reloads when the file changes. The folder is watched, not the file: an editor or a
   * deployment that replaces the file by renaming another over it would leave a watch on the
   * old one. Only events that name the file count: other files of a busy folder (a log) would
   * otherwise have it read again at every write.
   */
  watch(): void {
    if (this.watcher !== null) return;
    const name = lastPart(this.path);
    try {
      this.watcher = watch(folderOf(this.path), { persistent: false }, (_event, filename) => {
        if (filename !== null && filename !== name) return;
        if (this.settle !== null) clearTimeout(this.settle);
        this.settle = setTimeout(() => {
          this.settle = null;
          this.reload("file changed", true);
        }, SETTLE_MS);
      });
    } catch (error) {
      this.logger.warn(`warning: ${this.path} is not watched for changes (${(error as Error).message}); send SIGHUP to reload it`, { event: "config-warning" });
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.settle !== null) clearTimeout(this.settle);
    this.settle = null;
  }
}
