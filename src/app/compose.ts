/**
 * The application, composed from a Config: the stores, the throttle and the credentials check,
 * the strategy, the routes (each declaring whether it is public) and the sweeps; requests go
 * through the Pipeline.
 */
import type { ApiDeps, ApiRouter, Handler } from "../api/v1/context.ts";
import { LOGIN_PATH, LOGOUT_LINK_PATH, PUBLIC } from "../api/v1/context.ts";
import { registerIndexRoutes } from "../api/v1/index.ts";
import { registerPasskeyRoutes } from "../api/v1/passkeys.ts";
import { registerSecondFactorRoutes } from "../api/v1/second-factor.ts";
import { registerSessionRoutes } from "../api/v1/session-auth.ts";
import { registerUserRoutes } from "../api/v1/users.ts";
import { registerOidcRoutes } from "../api/v1/oidc.ts";
import { createProviders } from "../auth/providers/providers.ts";
import { registerTotpRoutes } from "../api/v1/totp.ts";
import { secretBoxLoader } from "../auth/factors/secret-box.ts";
import { TotpFactor } from "../auth/factors/totp-factor.ts";
import { PasskeyFactor, Passkeys } from "../auth/factors/passkeys.ts";
import type { UserRecord } from "../domain/user.ts";
import { totpEnabled } from "../domain/user-totp.ts";
import { VERIFY_PATH, verifyHandler } from "../api/v1/verify.ts";
import type { AccessDeps, GroupsOf, HasSecondFactor } from "../auth/rules/access-check.ts";
import { openRules, stepUpFor } from "../auth/rules/login-step-up.ts";
import type { RulesSource } from "../auth/rules/rules-source.ts";
import { andThen } from "../maybe-promise.ts";
import { CredentialsCheck } from "../auth/credentials.ts";
import { type Auth, createAuth, keepsStoredSessions } from "../auth/index.ts";
import { LoginThrottle } from "../auth/throttle.ts";
import type { Config } from "../config.ts";
import { type Clock, systemClock } from "../domain/base.ts";
import { html } from "../http/responses.ts";
import { pageReturnAddress } from "../http/return-address.ts";
import { Router } from "../http/router.ts";
import { createLogger, type Logger } from "../logger.ts";
import { openStores, type Stores } from "../storage/stores.ts";
import { groupsOf as storedGroupsOf } from "../storage/group-store.ts";
import type { UserStore } from "../storage/user-store.ts";
import { loginPage, pageSecurityHeaders } from "../web/login-page.ts";
import { AuditTrail, auditingLogger, loggerSink, openAuditTrail, ThrottleNotices } from "../audit.ts";
import { AppMetrics } from "../metrics/app-metrics.ts";
import { ErrorResponses } from "./error-responses.ts";
import { Health } from "./health.ts";
import { operationsChecks, registerOperationsRoutes } from "./operations.ts";
import { countedSessionStore } from "./session-count.ts";
import { Pipeline } from "./pipeline.ts";
import { startSweeps } from "./sweeps.ts";

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where security events go; AUDIT_LOG's file, or standard output with the log, by default. */
  audit?: AuditTrail;
}

export class App {
  readonly router: ApiRouter = new Router<Handler>();
  readonly auth: Auth | null;
  readonly users: UserStore;
  /** ACCESS_RULES, when set. */
  readonly rules: RulesSource | null;
  /** Counted only when METRICS or METRICS_LISTEN is set. */
  readonly metrics: AppMetrics | null;
  readonly audit: AuditTrail;
  private readonly ownsAudit: boolean;
  private readonly logger: Logger;
  private readonly pipeline: Pipeline;
  private readonly stopSweeps: () => void;

  private constructor(
    readonly config: Config,
    private readonly stores: Stores,
    options: AppOptions,
  ) {
    const { users, sessions } = stores;
    this.users = users;
    const clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger(config.logFormat);
    this.rules = openRules(config, this.logger);
    const metrics = config.metrics === null ? null : new AppMetrics(config.authType);
    this.metrics = metrics;
    // On standard output, the lines go out with the log's (and a silent logger silences them).
    const audit = options.audit ?? (config.auditLog === null ? new AuditTrail(loggerSink(this.logger)) : openAuditTrail(config.auditLog));
    this.audit = audit;
    this.ownsAudit = options.audit === undefined;
    if (metrics) audit.listen((event, fields) => metrics.event(event, fields));
    const notices = new ThrottleNotices();
    const throttle = new LoginThrottle({
      perClient: { maxFailures: config.loginMaxFailuresPerClient, windowSeconds: config.loginThrottleWindowSeconds },
      perAccount: { maxFailures: config.loginMaxFailuresPerAccount, windowSeconds: config.loginThrottleWindowSeconds },
      clock,
      counters: stores.counters,
      onRefused: (kind, key, waitMs) => {
        metrics?.throttled(kind);
        // Once per window: the account's id, without the unlock time throttleAccount adds.
        if (kind === "account" && notices.first(key, waitMs, Date.now())) audit.record("account.throttled", { user_id: key.startsWith("sha256:") ? null : key.replace(/@[^@]*$/, ""), actor: "system", reason: "too many failed logins" });
      },
    });
    const credentials = new CredentialsCheck(users, clock, throttle);
    const totp = new TotpFactor({ store: stores.totp, box: secretBoxLoader(config), clock, issuer: config.totpIssuer });
    // The passkeys' checks say their events to a log: those lines go to the audit trail.
    const passkeys = new Passkeys(stores.passkeys, stores.challenges, users, config, clock, auditingLogger(this.logger, audit));
    const auth = config.authType
      ? createAuth(config.authType, {
          users,
          sessions: sessions === null ? undefined : metrics ? countedSessionStore(sessions, (change) => metrics.stored(change)) : sessions,
          sessionName: config.sessionName,
          sessionDuration: config.sessionDuration,
          sessionIdleTimeout: config.sessionIdleTimeout,
          clock,
          credentials,
          hasSecondFactor: (userId) => andThen(stores.totp.get(userId), (record) => totpEnabled(record) || passkeys.enrolled(userId)),
        })
      : null;
    this.auth = auth;
    const deleteUser = async (userId: string) => {
      const { removed, sessions: ended } = await stores.removeUser(userId);
      metrics?.stored(-ended);
      // Sessions kept in this process's memory end here; stored ones went with the user.
      const forgotten = removed ? (auth?.forgetUserSessions(userId) ?? 0) : 0;
      return { removed, sessions: ended + forgotten };
    };
    const deps: ApiDeps = { config, users, groups: stores.groups, auth, credentials, clock, deleteUser, secondFactors: [totp, new PasskeyFactor(passkeys)], totp, passkeys, logger: this.logger, audit };
    const keeper = this.registerRoutes(deps, { stores, throttle });
    const health = new Health(operationsChecks(config, stores), config.storeTimeoutMs);
    registerOperationsRoutes(this.router, { metrics: config.metrics === "public" ? metrics : null, health });
    const keeperStore = auth?.sessionKeeper()?.sessions.store;
    if (metrics && keeperStore) metrics.countSessions(() => keeperStore.count());
    const crossSite = keeper ? { allowedOrigins: config.allowedOrigins, trustProxy: config.trustProxy, sessionName: config.sessionName, loginPath: LOGIN_PATH } : null;
    this.pipeline = new Pipeline({ config, router: this.router, auth, crossSite, errors: new ErrorResponses(this.logger, metrics), logger: this.logger, metrics });
    this.stopSweeps = startSweeps(auth, throttle, this.logger, audit);
  }

  /** Every route, each saying whether it is public; true when the strategy keeps sessions. */
  private registerRoutes(deps: ApiDeps, { stores, throttle }: { stores: Stores; throttle: LoginThrottle }): boolean {
    const { auth, config, users, clock } = deps;
    registerIndexRoutes(this.router, deps);
    registerUserRoutes(this.router, deps);
    const keeper = auth?.sessionKeeper() ?? null;
    if (keeper) registerSessionRoutes(this.router, keeper, deps);
    if (keeper) registerTotpRoutes(this.router, keeper, deps);
    if (keeper) registerPasskeyRoutes(this.router, keeper, deps);
    if (keeper) registerSecondFactorRoutes(this.router, keeper, deps);
    // Sign-in with a provider ends in a session: only with a strategy that keeps them.
    const providers = keeper ? createProviders(config, clock) : [];
    if (keeper && providers.length > 0) registerOidcRoutes(this.router, { config, users, identities: stores.identities(), auth: keeper, throttle, logger: this.logger, audit: this.audit, clock, providers });
    const buttons = providers.map(({ name, label }) => ({ name, label }));
    // Public with every strategy, routed or not (then a 404, not the guard's 401): the login, as
    // in the original's list, and the logout link.
    this.router.declarePublic(LOGIN_PATH).declarePublic(LOGOUT_LINK_PATH);
    // Forward authentication answers for itself: 401 (or a redirect), never the guard's 403.
    // A session stands for a user with a second factor only when it proved one (or predates it).
    const factorsPassed = keeper
      ? (request: Request, user: UserRecord) => deps.totp.sessionPassed(user.id, () => keeper.requestSession(request))
      : undefined;
    const groupsOf: GroupsOf = (user) => storedGroupsOf(deps.groups, user.id);
    // At a step-up, a user with a second factor logs in again with it; one without is told to set one up.
    const hasSecondFactor: HasSecondFactor = (user) => andThen(stores.totp.get(user.id), (record) => totpEnabled(record) || deps.passkeys.enrolled(user.id));
    const access: AccessDeps | null = this.rules === null ? null : { auth, rules: this.rules, groupsOf, hasSecondFactor };
    const verify = verifyHandler(auth, config, { groupsOf, factorsPassed, access });
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) this.router.add(method, VERIFY_PATH, verify, PUBLIC);
    // The page is made once, at the first visit; only a visit with a return address gets one made for it.
    let page: string | null = null;
    this.router.add("GET", "/", ({ request, clientAddress }) => {
      const returnTo = pageReturnAddress(request, config);
      if (returnTo === null) return html((page ??= loginPage(config.authType, null, buttons)), 200, pageSecurityHeaders());
      // A signed-in visitor whose return address wants a second factor logs in again, rather than
      // going back there to be sent here again.
      return andThen(stepUpFor(access, request, returnTo, clientAddress), (stepUp) => html(loginPage(config.authType, returnTo, buttons, stepUp), 200, pageSecurityHeaders()));
    }, PUBLIC);
    // Browsers ask for it with every page; there is none, and the question needs no credentials.
    this.router.add("GET", "/favicon.ico", () => new Response(null, { status: 204, headers: { "Cache-Control": "max-age=86400" } }), PUBLIC);
    return keeper !== null;
  }

  /** Opens the data files (StoreLoadError if one is unusable) and builds the routes. */
  static create(config: Config, options: AppOptions = {}): App {
    return new App(config, openStores(config, keepsStoredSessions(config.authType)), options);
  }

  /** Where users and sessions live. */
  get storage(): string {
    return this.stores.description;
  }

  /** Answers one request; never throws. `peer` is the socket's IP address. */
  handle(request: Request, peer?: string): Response | Promise<Response> {
    return this.pipeline.handle(request, peer);
  }

  /** Waits for every pending write. */
  async close(): Promise<void> {
    this.stopSweeps();
    this.rules?.close();
    this.logger.flush?.();
    if (this.ownsAudit) this.audit.close();
    else this.audit.flush();
    await this.stores.close();
  }
}
