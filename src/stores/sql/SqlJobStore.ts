/**
 * The SQL job store: one implementation over `@effect/sql`'s `SqlClient` for SQLite
 * (`@effect/sql-sqlite-node`, a file in WAL mode), PostgreSQL (`@effect/sql-pg`) and MySQL 8 /
 * MariaDB 10.6+ (`@effect/sql-mysql2`). APScheduler: `SQLAlchemyJobStore`.
 *
 * Jobs are rows of JSON (task references and JSON arguments only, see `EncodedJobStore`) in the
 * persisted schema version 1 (the tables at the SQL stores' schema version 2), created by
 * `@effect/sql`'s `Migrator` when the store layer is built
 * (tables `<prefix>_jobs`, `<prefix>_runs`, `<prefix>_migrations`; see `migrations`). The loop
 * claims due jobs with the atomic `acquire` / `release` / `complete` of ARCHITECTURE §2, one
 * transaction each, so several schedulers can share one database without running a scheduled
 * time twice. A store that finds a schema version newer than it knows refuses to claim (its
 * `acquire` fails with a `StoreError` saying so) until it is upgraded.
 *
 * Each dialect's client library is imported only when a store of that dialect is built, so a
 * program that keeps its jobs in memory never loads a database driver.
 *
 * Durability (SQLite): WAL with `synchronous = NORMAL` by default keeps every committed change
 * across a crash of the process; on a power loss or an operating-system crash the last commits
 * before it may be lost (those since the last checkpoint, which runs once the WAL holds 4,000
 * pages; the database stays consistent). `synchronous: "FULL"` syncs the WAL at
 * every commit and keeps those too, at the cost of one fsync per write.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Scheduler, SqlJobStore } from "effect-apscheduler"
 *
 * const store = SqlJobStore.layerSqlite({ filename: "data/jobs.sqlite" })
 * const scheduler = Scheduler.layerDefault.pipe(Layer.provide(store))
 * ```
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Migrator from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as path from "node:path"
import { ConfigError, StoreError } from "../../errors.js"
import { makeEncoded } from "../EncodedJobStore.js"
import { JobStore, type JobStoreService } from "../JobStore.js"
import { Lock } from "../Lock.js"
import { CONFIGURE, retryingStart } from "../internal/startRetry.js"
import * as Driver from "./internal/driver.js"
import { clusterRunsByTime, createTables, SQL_SCHEMA_VERSION, tables } from "./migrations.js"

/**
 * Where a store reads `now` (ARCHITECTURE §2): `"effect"`, Effect's `Clock` (one scheduler on its
 * store, tests: `TestClock` drives it); `"database"`, the database server's clock (several
 * processes on several machines: it judges leases and misfire grace).
 *
 * @since 0.1.0
 * @category models
 */
export type ClockSource = "effect" | "database"

/**
 * Options of every SQL store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The prefix of the store's tables (default `"apscheduler"`): letters, digits, `_`. */
  readonly tablePrefix?: string | undefined
  /**
   * The clock source (default {@link defaultClock}: PostgreSQL and MySQL / MariaDB `"database"`
   * unless a `Lock.single` policy is in context when the store is built; SQLite `"effect"`).
   */
  readonly clock?: ClockSource | undefined
  /** How long finished runs are kept, in ms (default 7 days). */
  readonly runRetentionMs?: number | undefined
  /** The store's name in errors and logs (default `<dialect>:<prefix>`). */
  readonly name?: string | undefined
  /**
   * PostgreSQL and MySQL / MariaDB: how long the store keeps trying to connect and migrate when
   * it is built while its database is unreachable, in ms (default 60,000; 0: fail at once). Each
   * failed attempt is logged and retried after 0.2 s, doubling up to 5 s; past the bound the
   * layer fails with the last `StoreError`.
   */
  readonly startRetryMs?: number | undefined
}

/**
 * Options of a store over the `SqlClient` in context ({@link make}, {@link layer}).
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions extends Options {
  /**
   * MariaDB: `idle_transaction_timeout` of every store transaction, in ms rounded up to whole
   * seconds (0: none), set in the round trip that begins it (see {@link MysqlOptions}, whose
   * stores set 10,000 by default). No default here: without it the client's sessions keep their
   * own setting. When set, a MySQL / MariaDB store reads the server's `VERSION()` once when built;
   * MySQL 8 (no such setting) and the other dialects ignore it (PostgreSQL's is a setting of
   * {@link pgClient}'s connections).
   */
  readonly idleInTransactionTimeoutMs?: number | undefined
}

/**
 * The default table prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TABLE_PREFIX = "apscheduler"

const PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/

const migrationsFor = (sql: SqlClient.SqlClient, prefix: string) =>
  Migrator.fromRecord({
    "0001_create_jobs": createTables(sql, prefix),
    "0002_cluster_runs_by_time": clusterRunsByTime(sql, prefix)
  })

const liveClock = Clock.make()

/**
 * The clock source of a store built without `clock` (ARCHITECTURE §2, issue 11): the database's
 * clock judges leases and misfire grace wherever several processes, perhaps on several machines,
 * may share the store. PostgreSQL and MySQL / MariaDB: `"database"`, unless the store is built
 * with a `Lock.single` policy in context (one scheduler on its store: Effect's clock, so
 * `TestClock` drives it). With no `Lock` in context the scheduler settles on `Lock.leased` for a
 * persistent store, so the default is the database's clock. SQLite is one host: `"effect"`, the
 * process's clock, whatever the policy.
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultClock = (
  dialect: "sqlite" | "postgres" | "mysql",
  lockMode: "single" | "leased" | undefined
): ClockSource => dialect === "sqlite" || lockMode === "single" ? "effect" : "database"

const waitSchedule = Schedule.spaced("100 millis").pipe(Schedule.upTo("15 seconds"))

/** Refuses an `idleInTransactionTimeoutMs` that is not a number of ms >= 0 (MySQL / MariaDB). */
const checkIdleMs = (store: string, idleMs: number | undefined): Effect.Effect<void, StoreError> =>
  idleMs === undefined || (Number.isFinite(idleMs) && idleMs >= 0)
    ? Effect.void
    : Effect.fail(
      new StoreError({
        store,
        operation: CONFIGURE,
        reason: `idleInTransactionTimeoutMs must be a number of ms >= 0, got ${JSON.stringify(idleMs)}`
      })
    )

/**
 * The statement that sets MariaDB's `idle_transaction_timeout` (whole seconds, rounded up) in
 * every store transaction, for the driver's `mysqlSession`: none without `idleMs`, or on MySQL 8,
 * which has no such setting (the server's `VERSION()`, read once, says which).
 */
const mariadbSession = (
  sql: SqlClient.SqlClient,
  store: string,
  idleMs: number | undefined
): Effect.Effect<string | undefined, StoreError> =>
  Effect.gen(function*() {
    yield* checkIdleMs(store, idleMs)
    if (idleMs === undefined) return undefined
    const [{ v }] = yield* sql.unsafe<{ readonly v: string }>("SELECT VERSION() AS v").pipe(
      Effect.mapError(connectError(store))
    )
    return v.includes("MariaDB") ? `SET SESSION idle_transaction_timeout = ${Math.ceil(idleMs / 1000)}` : undefined
  })

/**
 * Builds a store over the `SqlClient` in context: runs the migrations (table
 * `<prefix>_migrations`; PostgreSQL locks it, so a racing peer waits; on MySQL / MariaDB, which
 * commit DDL at once, a peer that lost the race waits until the tables are there), then serves
 * the job store. On MariaDB, `idleInTransactionTimeoutMs` goes to the driver as the session
 * statement of every transaction ({@link MakeOptions}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: MakeOptions = {}
): Effect.Effect<JobStoreService, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX
    const dialect = sql.onDialectOrElse({
      pg: () => "postgres" as const,
      mysql: () => "mysql" as const,
      orElse: () => "sqlite" as const
    })
    const name = options.name ?? `${dialect}:${prefix}`
    const fail = (operation: string, reason: string) => new StoreError({ store: name, operation, reason })
    if (!PREFIX.test(prefix)) {
      return yield* fail(CONFIGURE, `tablePrefix ${JSON.stringify(prefix)} must be letters, digits and _ (at most 48)`)
    }
    const mysqlSession = dialect === "mysql" ? yield* mariadbSession(sql, name, options.idleInTransactionTimeoutMs) : undefined
    const lock = yield* Effect.serviceOption(Lock)
    const clock = options.clock ?? defaultClock(dialect, Option.getOrUndefined(lock)?.mode)
    const t = tables(prefix)

    // migrations: a failure (a defect inside the Migrator included) is a StoreError; a lost race
    // (PostgreSQL creating the migrations table twice, SQLite busy) is retried
    // (their waits on the live clock: a TestClock in context must not stall them)
    yield* Migrator.make({})({ loader: migrationsFor(sql, prefix), table: t.migrations }).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(fail("migrate", String(defect)))),
      Effect.mapError((e) =>
        e._tag === "StoreError" ? e : fail("migrate", e._tag === "SqlError" ? Driver.describe(e) : e.message ?? String(e))
      ),
      Effect.retry({ times: 5, schedule: Schedule.exponential("50 millis") }),
      Effect.withClock(liveClock)
    )
    // a peer that won the migration race may still be migrating: wait until its migrations are
    // recorded, then for its tables (MySQL commits DDL at once, so the record can come first).
    // The migrations table is read first: SQLite's client caches the outcome of preparing a
    // statement, a failure included (PREPARE_CACHE_TTL), so a table read before the peer
    // committed it stays "no such table" for a while
    const probe = sql`SELECT MAX(migration_id) AS v FROM ${sql(t.migrations)}`.pipe(
      Effect.flatMap((v): Effect.Effect<void, SqlError | StoreError> =>
        Number(v[0]?.v ?? 0) >= 1
          ? Effect.asVoid(Effect.all([sql`SELECT id FROM ${sql(t.jobs)} WHERE 1 = 0`, sql`SELECT job_id FROM ${sql(t.runs)} WHERE 1 = 0`]))
          : Effect.fail(fail("migrate", "the tables are not there yet"))
      ),
      Effect.catchTag("SqlError", (e) => Effect.fail(fail("migrate", Driver.describe(e)))),
      Effect.retry(waitSchedule),
      Effect.withClock(liveClock)
    )
    yield* probe

    const driver = yield* Driver.make({
      name,
      prefix,
      clock,
      busyRetryMs: 10_000,
      purgeEveryMs: 60_000,
      mysqlSession
    })
    const version = yield* driver.schemaVersion
    if (version > SQL_SCHEMA_VERSION) {
      yield* Effect.logWarning(
        `Job store "${name}" holds schema version ${version}, newer than version ${SQL_SCHEMA_VERSION}: it will not claim jobs until effect-apscheduler is upgraded`
      )
    }
    return makeEncoded(driver, { runRetentionMs: options.runRetentionMs })
  })

/**
 * The store as a layer over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: MakeOptions = {}): Layer.Layer<JobStore, StoreError, SqlClient.SqlClient> =>
  Layer.effect(JobStore, make(options))

// ---------------------------------------------------------------------------------------------
// Dialects (each client library imported when used)
// ---------------------------------------------------------------------------------------------

/**
 * Options of a SQLite store.
 *
 * @since 0.1.0
 * @category models
 */
export interface SqliteOptions extends Options {
  /** The database file (`":memory:"`: a private in-memory database). */
  readonly filename: string
  /**
   * `"NORMAL"` (default, with WAL): a process crash loses nothing committed, a power loss may lose
   * the last commits; `"FULL"`: every commit is synced to disk.
   */
  readonly synchronous?: "NORMAL" | "FULL" | undefined
  /**
   * How long one statement waits for another connection's write lock, in ms (default 20).
   * better-sqlite3 waits synchronously (blocking the event loop), so this stays short and a busy
   * database is retried with a schedule instead (for up to 10 s).
   */
  readonly busyTimeoutMs?: number | undefined
}

/**
 * Options of a PostgreSQL store.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgOptions extends Options {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string
  /** The pool size (default 10). */
  readonly maxConnections?: number | undefined
  /** `statement_timeout` of every connection, in ms (default 30,000). */
  readonly statementTimeoutMs?: number | undefined
  /**
   * `idle_in_transaction_session_timeout` of every connection, in ms (default 10,000, the
   * default `storeTimeoutMs`: a client cut off mid-transaction — a blackholed network — has given
   * up by then, and the server ends its session and frees its row locks, which other schedulers'
   * claims and recoveries wait on; 60 s held every peer's claims for a minute in the chaos runs).
   */
  readonly idleInTransactionTimeoutMs?: number | undefined
}

/**
 * Options of a MySQL / MariaDB store.
 *
 * @since 0.1.0
 * @category models
 */
export interface MysqlOptions extends Options {
  /** `mysql://user:password@host:port/database`. */
  readonly url: string
  /** The pool size (default 10). */
  readonly maxConnections?: number | undefined
  /**
   * MariaDB: `idle_transaction_timeout` of every transaction's connection, in ms rounded up to
   * whole seconds (default 10,000, the default `storeTimeoutMs`; 0: none): the server ends the
   * session of a client cut off mid-transaction (a blackholed network) and frees its row locks,
   * which other schedulers' claims and recoveries wait on, instead of holding them until
   * `wait_timeout` (8 hours by default). MySQL 8 has no such setting: this option does nothing
   * there, and only the server's `wait_timeout` ends such a session.
   */
  readonly idleInTransactionTimeoutMs?: number | undefined
}

const importing = <A>(name: string, load: () => Promise<A>) =>
  Effect.tryPromise({
    try: load,
    catch: (cause) => new StoreError({ store: name, operation: "connect", reason: `cannot load the driver: ${String(cause)}` })
  })

const connectError = (store: string) => (e: { readonly message?: string; readonly cause?: unknown }) =>
  new StoreError({
    store,
    operation: "connect",
    reason: `${e.message ?? "failed"}${e.cause instanceof Error ? `: ${e.cause.message}` : ""}`
  })

/** The SQLite clients open in this process, by absolute file name, with their users. */
const sqliteClients = new Map<string, {
  users: number
  readonly client: Deferred.Deferred<SqlClient.SqlClient, StoreError>
  readonly scope: Scope.CloseableScope
}>()

/**
 * A SQLite client for a file (WAL, the chosen `synchronous`, a short busy timeout). Stores of one
 * process on one file share one client (one connection, whose transactions take turns), so they
 * never wait on each other's locks: the first opener's `synchronous` and busy timeout apply; the
 * file is closed when its last user's scope closes. `":memory:"` is a private database each time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sqliteClient = (
  options: Pick<SqliteOptions, "filename" | "synchronous" | "busyTimeoutMs" | "name">
): Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope> => {
  if (options.filename === ":memory:" || options.filename === "") return openSqlite(options)
  const key = path.resolve(options.filename)
  const release = Effect.suspend(() => {
    const entry = sqliteClients.get(key)
    if (entry === undefined || --entry.users > 0) return Effect.void
    sqliteClients.delete(key)
    return Scope.close(entry.scope, Exit.void)
  })
  return Effect.acquireRelease(
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const entry = sqliteClients.get(key)
        if (entry !== undefined) {
          entry.users++
          return Effect.onError(restore(Deferred.await(entry.client)), () => release)
        }
        return Effect.gen(function*() {
          const scope = yield* Scope.make()
          const client = yield* Deferred.make<SqlClient.SqlClient, StoreError>()
          sqliteClients.set(key, { users: 1, client, scope })
          const opened = yield* Effect.exit(restore(Scope.extend(openSqlite(options), scope)))
          yield* Deferred.done(client, opened)
          if (Exit.isFailure(opened)) yield* release
          return yield* opened
        })
      })
    ),
    () => release
  )
}

/**
 * SQLite: the WAL is copied back into the database (a checkpoint, with an fsync of both files
 * under `synchronous = NORMAL`) once it holds this many pages (SQLite's default: 1,000, about
 * 4 MB). A claim of 1,000 jobs writes some hundreds of pages, so the default checkpointed at
 * almost every claim, inside its commit; at 4,000 pages (16 MB of WAL at most) a page rewritten
 * by successive claims is copied once per checkpoint. A checkpoint's timing changes nothing that
 * a process crash can lose (a commit is in the WAL file at once); on a power loss the commits
 * since the last sync may be lost, as with any `NORMAL` setting (`synchronous: "FULL"` syncs
 * every commit).
 */
const WAL_AUTOCHECKPOINT_PAGES = 4000

/**
 * SQLite: how long the client keeps a prepared statement. `@effect/sql-sqlite-node` caches the
 * outcome of preparing a statement, a failure included ("no such table", a database locked by a
 * peer while the schema was read), for 10 minutes by default: every retry of that statement
 * then failed for 10 minutes, after the cause was gone. At 2 s a failure outlives its cause by
 * at most 2 s, within the driver's busy retry (10 s); a statement in use is prepared again once
 * every 2 s (some µs each).
 */
const PREPARE_CACHE_TTL = "2 seconds"

const openSqlite = (
  options: Pick<SqliteOptions, "filename" | "synchronous" | "busyTimeoutMs" | "name">
): Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const store = options.name ?? `sqlite:${options.filename}`
    const synchronous = options.synchronous ?? "NORMAL"
    const busy = options.busyTimeoutMs ?? 20
    if (synchronous !== "NORMAL" && synchronous !== "FULL") {
      return yield* new StoreError({ store, operation: "connect", reason: `synchronous must be "NORMAL" or "FULL"` })
    }
    if (!Number.isInteger(busy) || busy < 0) {
      return yield* new StoreError({ store, operation: "connect", reason: `busyTimeoutMs must be a whole number >= 0` })
    }
    const { make: makeClient } = yield* importing(store, () => import("@effect/sql-sqlite-node/SqliteClient"))
    // better-sqlite3 throws while opening (a missing directory, a file that is no database):
    // @effect/sql-sqlite-node lets that through as a defect; here it is a StoreError
    const client = yield* makeClient({ filename: options.filename, prepareCacheTTL: PREPARE_CACHE_TTL }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.catchAllDefect((defect) =>
        Effect.fail(
          new StoreError({ store, operation: "connect", reason: defect instanceof Error ? defect.message : String(defect) })
        )
      )
    )
    // validated values: PRAGMA takes no parameters
    yield* client.unsafe(`PRAGMA busy_timeout = ${busy}`).pipe(
      Effect.zipRight(client.unsafe(`PRAGMA synchronous = ${synchronous}`)),
      Effect.zipRight(client.unsafe(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)),
      Effect.mapError(connectError(store))
    )
    return client
  })

/**
 * A PostgreSQL client over a pool it configures (`statement_timeout`,
 * `idle_in_transaction_session_timeout`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const pgClient = (
  options: Pick<PgOptions, "url" | "maxConnections" | "statementTimeoutMs" | "idleInTransactionTimeoutMs" | "name">
): Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const store = options.name ?? "postgres"
    const [{ fromPool }, pg] = yield* importing(store, () => Promise.all([import("@effect/sql-pg/PgClient"), import("pg")]))
    const Pool = pg.default?.Pool ?? (pg as unknown as typeof pg.default).Pool
    return yield* fromPool({
      acquire: Effect.acquireRelease(
        Effect.sync(() =>
          new Pool({
            connectionString: options.url,
            max: options.maxConnections ?? 10,
            // a transaction waits for its connection uninterruptibly (see the driver): never forever
            connectionTimeoutMillis: 10_000,
            statement_timeout: options.statementTimeoutMs ?? 30_000,
            idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
            application_name: "effect-apscheduler"
          })
        ).pipe(Effect.tap((pool) => Effect.sync(() => pool.on("error", () => undefined)))),
        (pool) =>
          Effect.promise(() => pool.end()).pipe(
            Effect.interruptible, // a finalizer is not: without this the timeout could not stop it
            Effect.timeoutOption("2 seconds"),
            Effect.withClock(liveClock)
          )
      )
    }).pipe(Effect.provide(Reactivity.layer), Effect.mapError(connectError(store)))
  })

/**
 * A MySQL / MariaDB client (a pool of `maxConnections`). A store over it sets MariaDB's
 * `idle_transaction_timeout` when told ({@link MakeOptions}; {@link makeMysql} does by default).
 *
 * @since 0.1.0
 * @category constructors
 */
export const mysqlClient = (
  options: Pick<MysqlOptions, "url" | "maxConnections" | "name">
): Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const store = options.name ?? "mysql"
    const { make: makeClient } = yield* importing(store, () => import("@effect/sql-mysql2/MysqlClient"))
    return yield* makeClient({ url: Redacted.make(options.url), maxConnections: options.maxConnections ?? 10 }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.mapError(connectError(store))
    )
  })

const withClient = (
  client: Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>,
  options: MakeOptions
): Effect.Effect<JobStoreService, StoreError, Scope.Scope> =>
  Effect.flatMap(client, (sql) => Effect.provideService(make(options), SqlClient.SqlClient, sql))

/**
 * Builds a SQLite store; the file is closed with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSqlite = (options: SqliteOptions): Effect.Effect<JobStoreService, StoreError, Scope.Scope> =>
  withClient(sqliteClient(options), options)

/**
 * Builds a PostgreSQL store; the pool is closed with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePg = (options: PgOptions): Effect.Effect<JobStoreService, StoreError, Scope.Scope> =>
  retryingStart(withClient(pgClient(options), options), options.startRetryMs)

/**
 * Builds a MySQL / MariaDB store; the pool is closed with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMysql = (options: MysqlOptions): Effect.Effect<JobStoreService, StoreError, Scope.Scope> =>
  Effect.zipRight(
    // checked before the first connection too (make checks it again): a bad value must not wait
    // out the start retries of a database that is down
    checkIdleMs(options.name ?? "mysql", options.idleInTransactionTimeoutMs),
    retryingStart(
      withClient(mysqlClient(options), { ...options, idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 10_000 }),
      options.startRetryMs
    )
  )

/**
 * A SQLite store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (options: SqliteOptions): Layer.Layer<JobStore, StoreError> =>
  Layer.scoped(JobStore, makeSqlite(options))

/**
 * A PostgreSQL store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPg = (options: PgOptions): Layer.Layer<JobStore, StoreError> => Layer.scoped(JobStore, makePg(options))

/**
 * A MySQL / MariaDB store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMysql = (options: MysqlOptions): Layer.Layer<JobStore, StoreError> =>
  Layer.scoped(JobStore, makeMysql(options))

// ---------------------------------------------------------------------------------------------
// URLs and plugin options
// ---------------------------------------------------------------------------------------------

/**
 * A database named by a URL (SQLAlchemy's forms): `sqlite:///relative.db`,
 * `sqlite:////absolute.db`, `sqlite://` (in memory); `postgresql://…` / `postgres://…`
 * (`+driver` suffixes ignored); `mysql://…` / `mariadb://…`.
 *
 * @since 0.1.0
 * @category models
 */
export type Target =
  | { readonly dialect: "sqlite"; readonly filename: string }
  | { readonly dialect: "postgres"; readonly url: string }
  | { readonly dialect: "mysql"; readonly url: string }

/**
 * Reads a database URL; `undefined` when its scheme is not one of the SQL dialects.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseUrl = (url: string): Target | undefined => {
  const m = /^([a-z0-9]+)(?:\+[a-z0-9_]+)?:(.*)$/i.exec(url.trim())
  if (m === null) return undefined
  const scheme = m[1]!.toLowerCase()
  const rest = m[2]!
  if (scheme === "sqlite") {
    const path = rest.replace(/^\/\/\/?/, "")
    return { dialect: "sqlite", filename: path === "" ? ":memory:" : path }
  }
  if (scheme === "postgres" || scheme === "postgresql") return { dialect: "postgres", url: `postgres:${rest}` }
  if (scheme === "mysql" || scheme === "mariadb") return { dialect: "mysql", url: `mysql:${rest}` }
  return undefined
}

/**
 * The SQLite file of a `sql` / `sqlite` store configured without a URL or file name.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SQLITE_FILE = "jobs.sqlite"

const optionString = (options: Readonly<Record<string, unknown>>, ...keys: ReadonlyArray<string>) => {
  for (const key of keys) {
    const value = options[key]
    if (value === undefined) continue
    if (typeof value !== "string") {
      return Effect.fail(new ConfigError({ key, reason: `expected a string, got ${JSON.stringify(value)}` }))
    }
    return Effect.succeed(value)
  }
  return Effect.succeed(undefined)
}

const optionNumber = (options: Readonly<Record<string, unknown>>, ...keys: ReadonlyArray<string>) => {
  for (const key of keys) {
    const value = options[key]
    if (value === undefined) continue
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
      return Effect.fail(new ConfigError({ key, reason: `expected a number >= 0, got ${JSON.stringify(value)}` }))
    }
    return Effect.succeed(n)
  }
  return Effect.succeed(undefined)
}

/**
 * Builds a store from plugin options (the `sql` / `sqlalchemy` and `sqlite` aliases): `url` picks
 * the dialect (without one, a SQLite file: `filename` / `path`, default
 * {@link DEFAULT_SQLITE_FILE}); `tablePrefix` (or APScheduler's `tablename`, whose `_jobs` suffix is
 * dropped), `clock`, `synchronous`, `busyTimeoutMs`, `maxConnections`, `statementTimeoutMs`,
 * `idleInTransactionTimeoutMs`, `runRetentionMs`. Snake-case spellings are accepted too.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPluginOptions = (
  options: Readonly<Record<string, unknown>>,
  defaultDialect: "sql" | "sqlite" = "sql"
): Effect.Effect<JobStoreService, ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const url = yield* optionString(options, "url")
    const filename = yield* optionString(options, "filename", "path", "file")
    const tablename = yield* optionString(options, "tablePrefix", "table_prefix", "tablename")
    const clock = yield* optionString(options, "clock")
    const synchronous = yield* optionString(options, "synchronous")
    const busyTimeoutMs = yield* optionNumber(options, "busyTimeoutMs", "busy_timeout_ms")
    const maxConnections = yield* optionNumber(options, "maxConnections", "max_connections")
    const statementTimeoutMs = yield* optionNumber(options, "statementTimeoutMs", "statement_timeout_ms")
    const idleInTransactionTimeoutMs = yield* optionNumber(
      options,
      "idleInTransactionTimeoutMs",
      "idle_in_transaction_timeout_ms"
    )
    const runRetentionMs = yield* optionNumber(options, "runRetentionMs", "run_retention_ms")
    const startRetryMs = yield* optionNumber(options, "startRetryMs", "start_retry_ms")
    if (clock !== undefined && clock !== "effect" && clock !== "database") {
      return yield* new ConfigError({ key: "clock", reason: `expected "effect" or "database", got ${JSON.stringify(clock)}` })
    }
    if (synchronous !== undefined && !/^(normal|full)$/i.test(synchronous)) {
      return yield* new ConfigError({ key: "synchronous", reason: `expected "NORMAL" or "FULL", got ${JSON.stringify(synchronous)}` })
    }
    const tablePrefix = tablename?.replace(/_jobs$/, "")
    if (tablePrefix !== undefined && !PREFIX.test(tablePrefix)) {
      return yield* new ConfigError({ key: "tablePrefix", reason: "letters, digits and _ only (at most 48)" })
    }
    const target: Target | undefined = url === undefined
      ? { dialect: "sqlite", filename: filename ?? DEFAULT_SQLITE_FILE }
      : parseUrl(url)
    if (target === undefined) {
      return yield* new ConfigError({ key: "url", reason: `not a sqlite, postgres or mysql URL: ${JSON.stringify(url)}` })
    }
    if (defaultDialect === "sqlite" && target.dialect !== "sqlite") {
      return yield* new ConfigError({ key: "url", reason: "the sqlite store takes a sqlite: URL or a filename" })
    }
    const common: Options = {
      tablePrefix,
      clock: clock as ClockSource | undefined,
      runRetentionMs: runRetentionMs === undefined ? undefined : Math.floor(runRetentionMs),
      startRetryMs
    }
    const store = target.dialect === "sqlite"
      ? makeSqlite({
        ...common,
        filename: target.filename,
        synchronous: synchronous?.toUpperCase() as "NORMAL" | "FULL" | undefined,
        busyTimeoutMs: busyTimeoutMs === undefined ? undefined : Math.floor(busyTimeoutMs)
      })
      : target.dialect === "postgres"
      ? makePg({ ...common, url: target.url, maxConnections, statementTimeoutMs, idleInTransactionTimeoutMs })
      : makeMysql({ ...common, url: target.url, maxConnections, idleInTransactionTimeoutMs })
    return yield* Effect.mapError(store, (e) => new ConfigError({ key: "url", reason: e.message }))
  })
