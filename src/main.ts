/** Entry point: argv → a CLI command, or the server. */
import { runCli } from "./cli.ts";

const exitCode = await runCli(process.argv.slice(2), process.env);
if (exitCode !== null) process.exit(exitCode);
