import { describe, expect, test } from "bun:test";
import { escapeHelp, escapeLabelValue, formatValue, Registry } from "../../src/metrics/registry.ts";
import { AppMetrics, backendFailure } from "../../src/metrics/app-metrics.ts";

/** `promtool check metrics` on a text: its exit code and what it said. */
function promtool(text: string): { exitCode: number; output: string } {
  const run = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  return { exitCode: run.exitCode, output: `${run.stdout.toString()}${run.stderr.toString()}` };
}

describe("escaping", () => {
  const labels: [string, string][] = [
    ["plain", "plain"],
    ['a"b', 'a\\"b'],
    ["a\\b", "a\\\\b"],
    ["line\nbreak", "line\\nbreak"],
    ['\\"\n', '\\\\\\"\\n'],
  ];
  for (const [input, output] of labels) test(`label value ${JSON.stringify(input)}`, () => expect(escapeLabelValue(input)).toBe(output));
  test("HELP escapes backslash and line feed, not quotes", () => {
    expect(escapeHelp('say "hi"\\now\nnext')).toBe('say "hi"\\\\now\\nnext');
  });
  test("values: the special floats as Go writes them", () => {
    expect([formatValue(1), formatValue(0.25), formatValue(Number.NaN), formatValue(Infinity), formatValue(-Infinity), formatValue(1e21)]).toEqual(["1", "0.25", "NaN", "+Inf", "-Inf", "1e+21"]);
  });
});

describe("Registry", () => {
  test("counters, gauges and histograms in the text format, with HELP and TYPE", () => {
    const r = new Registry();
    const c = r.counter("demo_requests_total", "Requests.", ["route", "status"]);
    c.labels("/a", "200").inc();
    c.labels("/a", "200").inc(2);
    c.labels('/b"', "404").inc();
    c.labels("/a", "200").inc(-5); // a counter never goes down
    r.gauge("demo_temperature", "Heat.\nSecond line.").set(-3.5);
    const h = r.histogram("demo_duration_seconds", "Time.", ["route"], [0.1, 0.5, 1]);
    for (const v of [0.05, 0.1, 0.3, 2]) h.observe(v, "/a");
    expect(r.expose()).toBe(
      [
        "# HELP demo_requests_total Requests.",
        "# TYPE demo_requests_total counter",
        'demo_requests_total{route="/a",status="200"} 3',
        'demo_requests_total{route="/b\\"",status="404"} 1',
        "# HELP demo_temperature Heat.\\nSecond line.",
        "# TYPE demo_temperature gauge",
        "demo_temperature -3.5",
        "# HELP demo_duration_seconds Time.",
        "# TYPE demo_duration_seconds histogram",
        'demo_duration_seconds_bucket{route="/a",le="0.1"} 2',
        'demo_duration_seconds_bucket{route="/a",le="0.5"} 3',
        'demo_duration_seconds_bucket{route="/a",le="1"} 3',
        'demo_duration_seconds_bucket{route="/a",le="+Inf"} 4',
        'demo_duration_seconds_sum{route="/a"} 2.45',
        'demo_duration_seconds_count{route="/a"} 4',
        "",
      ].join("\n"),
    );
    expect(promtool(r.expose())).toEqual({ exitCode: 0, output: "" });
  });

  test("names, labels and buckets are checked when a metric is made", () => {
    const r = new Registry();
    expect(() => r.counter("requests", "no _total")).toThrow(/_total/);
    expect(() => r.gauge("bad-name", "x")).toThrow(/name/);
    expect(() => r.gauge("ok", "x", ["le"])).toThrow(/label/);
    expect(() => r.gauge("ok2", "x", ["__reserved"])).toThrow(/label/);
    expect(() => r.histogram("h", "x", [], [])).toThrow(/buckets/);
    expect(() => r.histogram("h2", "x", [], [1, 1])).toThrow(/buckets/);
    r.gauge("twice", "x");
    expect(() => r.gauge("twice", "x")).toThrow(/twice/);
    expect(() => r.counter("c_total", "x", ["a"]).labels("1", "2")).toThrow(/label values/);
  });
});

describe("AppMetrics", () => {
  test("the whole set passes promtool, with requests, logins and every label escaped", () => {
    const m = new AppMetrics("session_db_auth", '0.1.0-"odd"\\');
    m.request("GET", "/api/v1/users/:id", 200, 0.0004);
    m.request("BREW", "unmatched", 404, 0.002);
    m.event("login.ok", {});
    m.event("login.failed", { reason: "wrong_password" });
    m.event("session.ended", { reason: "expired", count: 3 });
    m.throttled("account");
    m.backendError("Redis: no answer within 3000 ms");
    m.verify(new Response(null, { status: 200, headers: { "Remote-User": "u" } }));
    m.verify(new Response(null, { status: 200 }));
    const text = m.expose();
    expect(promtool(text)).toEqual({ exitCode: 0, output: "" });
    expect(text).toContain('session_auth_build_info{version="0.1.0-\\"odd\\"\\\\",auth_type="session_db_auth"} 1');
    expect(text).toContain('session_auth_http_requests_total{method="other",route="unmatched",status="404"} 1');
    expect(text).toContain('session_auth_http_request_duration_seconds_bucket{method="GET",route="/api/v1/users/:id",le="0.0005"} 1');
    expect(text).toContain('session_auth_logins_total{result="ok"} 1');
    expect(text).toContain('session_auth_logins_total{result="wrong_password"} 1');
    expect(text).toContain('session_auth_logins_total{result="throttled"} 0');
    expect(text).toContain("session_auth_sessions_created_total 1");
    expect(text).toContain('session_auth_sessions_ended_total{reason="expired"} 3');
    expect(text).toContain('session_auth_throttle_refusals_total{counter="account"} 1');
    expect(text).toContain('session_auth_backend_errors_total{backend="redis",kind="timeout"} 1');
    expect(text).toContain('session_auth_verify_total{result="allowed"} 1');
    expect(text).toContain('session_auth_verify_total{result="bypass"} 1');
  });

  test("stored sessions: read at each scrape from a store that answers at once, else counted from start-up", async () => {
    const sync = new AppMetrics(null);
    let n = 4;
    sync.countSessions(() => n);
    n = 7;
    expect(sync.expose()).toContain("\nsession_auth_sessions 7\n");
    const remote = new AppMetrics(null);
    let asked = 0;
    remote.countSessions(() => {
      asked += 1;
      return Promise.resolve(10);
    });
    await Bun.sleep(0);
    remote.stored(2);
    remote.stored(-5);
    expect(remote.expose()).toContain("\nsession_auth_sessions 7\n");
    remote.expose();
    expect(asked).toBe(1);
  });

  test("backend failures by backend and kind, from the store's message", () => {
    expect(backendFailure("PostgreSQL: no answer within 3000 ms")).toEqual({ backend: "postgresql", kind: "timeout" });
    expect(backendFailure("Redis: unreachable, trying again shortly")).toEqual({ backend: "redis", kind: "error" });
    expect(backendFailure("something else")).toEqual({ backend: "other", kind: "error" });
  });
});
