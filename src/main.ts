/** Entry point: argv → a CLI command, or the server. No top-level await: the build uses --bytecode. */
import { runCli } from "./cli.ts";

void runCli(process.argv.slice(2), process.env).then((exitCode) => {
  if (exitCode !== null) process.exit(exitCode);
});
