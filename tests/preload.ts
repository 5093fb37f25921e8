/**
 * Loaded before every test file (bunfig.toml): the helpers' afterAll, registered here first,
 * runs after all of them, so that no test leaves a folder behind in the temporary directory.
 */
import "./helpers.ts";
