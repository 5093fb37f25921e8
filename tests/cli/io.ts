/** A CliIo that records what a command printed and answers password prompts. */
import type { CliIo } from "../../src/cli/common.ts";

export function captureIo(secret = "") {
  const captured = { out: "", err: "", prompts: 0 };
  const io: CliIo = {
    out: (text) => void (captured.out += text),
    err: (text) => void (captured.err += text),
    readSecret: async () => {
      captured.prompts += 1;
      return secret;
    },
  };
  return { captured, io };
}
