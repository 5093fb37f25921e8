/**
 * The benchmark's ceiling: bare Bun.serve answering fixed bytes with no routing, parsing or
 * lookups. CEILING_RESPONSE is a JSON {status, headers, body} captured from session-auth for the
 * same workload; CEILING_VERIFY_HASH, when set, makes each request pay one Bun.password.verify
 * first (the floor cost of a login).
 */
const { status, headers, body } = JSON.parse(process.env.CEILING_RESPONSE ?? '{"status":200,"headers":{},"body":""}') as {
  status: number;
  headers: Record<string, string>;
  body: string;
};
const verifyHash = process.env.CEILING_VERIFY_HASH;
const verifyPassword = process.env.CEILING_VERIFY_PASSWORD ?? "";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.API_PORT ?? 0),
  development: false,
  reusePort: false,
  fetch: verifyHash
    ? async () => {
        await Bun.password.verify(verifyPassword, verifyHash);
        return new Response(body, { status, headers });
      }
    : () => new Response(body, { status, headers }),
});
console.log(`ceiling listening on http://127.0.0.1:${server.port}`);
