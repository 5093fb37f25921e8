/** Entry point: argv → a CLI command, or the server. No top-level await: the build uses --bytecode. */
import { runCli } from "./cli.ts";
import { serve } from "./serve.ts";

void runCli(process.argv.slice(2), process.env, undefined, serve).then((exitCode) => {
  if (exitCode !== null) process.exit(exitCode);
});
