/**
 * The row-level driver of the SQL job stores (`EncodedDriver`) over one `SqlClient`, for SQLite,
 * PostgreSQL and MySQL / MariaDB. Every query is parameterised; table names are identifiers
 * built from a validated prefix.
 *
 * Atomic steps are transactions on a reserved connection that this module begins and ends
 * itself (COMMIT / ROLLBACK uninterruptibly, their failures as `StoreError`, never defects):
 * SQLite `BEGIN IMMEDIATE` (the write lock at once; `SQLITE_BUSY` is retried with a schedule),
 * PostgreSQL `BEGIN` (READ COMMITTED) with `SELECT … FOR UPDATE SKIP LOCKED`, MySQL / MariaDB
 * `SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION` in one round trip
 * (`SET TRANSACTION` inside a transaction fails there; on MariaDB preceded by the store's
 * `SET SESSION idle_transaction_timeout`, the driver option `mysqlSession`) with `SELECT … FOR UPDATE SKIP LOCKED`,
 * then, in a second round trip with `COMMIT`, a write by ids (no `UPDATE … RETURNING`, no
 * `LIMIT` in an `IN` subquery): an `INSERT … ON DUPLICATE KEY UPDATE` of the rows just locked,
 * which MariaDB runs faster than an `UPDATE` joined to the ids.
 *
 * PostgreSQL and SQLite on Effect's clock `acquire` in one statement
 * (`UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING`).
 *
 * Batches are set-based: a `release` of n decisions is a constant number of statements.
 * PostgreSQL: one statement, no transaction around it (it reads the jobs with their live runs
 * and the run keys that exist, numbers the new runs' fences, and writes by a compare-and-set on
 * what it read, no `SELECT … FOR UPDATE`: the jobs that still match are moved on or removed and
 * only their runs are inserted). Every read of a
 * `release` (PostgreSQL and MySQL / MariaDB) looks runs up by key (a job's live runs by the
 * live-runs index, each planned run key by the primary key), never by `job_id` alone, so it
 * costs the same whatever the length of a job's run history. SQLite reads the jobs with their
 * live runs and the run keys that exist in one statement, then inserts the runs and updates the
 * jobs' columns (never their JSON record). MySQL / MariaDB: two round trips of multi-statement queries, `START
 * TRANSACTION` with the reads (the jobs locked, then their live runs and run keys), then the
 * writes (the runs inserted, the jobs' columns upserted, from `VALUES` lists: sent as text,
 * nothing there is prepared) with `COMMIT`.
 *
 * A `complete` is one statement on PostgreSQL (an
 * `UPDATE … RETURNING` that is the fence's compare-and-set), two elsewhere (read or lock the runs
 * by key, update the accepted ones: SQLite plans the one-statement form as a scan of the runs per
 * batch). The rows go as one JSON parameter (PostgreSQL: `jsonb_array_elements`; MySQL:
 * `JSON_TABLE`, joined first), so the statements' text never varies with the batch; SQLite binds
 * them as `VALUES` padded to a power of two (up to 1,024 rows, then `json_each`), one text per
 * size class. A transaction the database picked as a deadlock victim (or a serialization failure)
 * is run again, up to 3 times.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import type { Fragment } from "@effect/sql/Statement"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ConflictingIdError, StoreError } from "../../../errors.js"
import type {
  EncodedCompletion,
  EncodedDriver,
  EncodedJob,
  EncodedRow,
  EncodedRun,
  PlannedRun,
  RecoveredRows,
  RowDecision,
  RowOutcome
} from "../../EncodedJobStore.js"
import { maxInstancesOf } from "../../EncodedJobStore.js"
import type { Claim, RunKey, RunState } from "../../JobStore.js"
// the SQL stores' schema version (their last migration), which the claims check
import { SQL_SCHEMA_VERSION as SCHEMA_VERSION, tables } from "../migrations.js"

/** The SQL dialects of the store. */
export type Dialect = "sqlite" | "pg" | "mysql"

/** Where `now` comes from. */
export type ClockSource = "effect" | "database"

/** What the driver needs. */
export interface DriverOptions {
  readonly name: string
  readonly prefix: string
  readonly clock: ClockSource
  /** SQLite: how long to keep retrying a busy database (ms). */
  readonly busyRetryMs: number
  /** How often (at most) ended runs are purged, in ms of the store's clock. */
  readonly purgeEveryMs: number
  /**
   * MySQL / MariaDB: a statement sent before every transaction's `SET SESSION TRANSACTION …;
   * START TRANSACTION`, in the same round trip (the store's MariaDB `SET SESSION
   * idle_transaction_timeout = …`); none by default. The other dialects ignore it.
   */
  readonly mysqlSession?: string | undefined
}

type Row = Record<string, unknown>

const num = (v: unknown): number => typeof v === "number" ? v : Number(v)
const numOrNull = (v: unknown): number | null => v === null || v === undefined ? null : num(v)
const strOrNull = (v: unknown): string | null => v === null || v === undefined ? null : String(v)

/** The number of rows a statement's raw result says it changed. */
const affected = (raw: unknown): number => {
  const r = raw as { changes?: number; rowCount?: number | null; affectedRows?: number }
  return num(r.changes ?? r.rowCount ?? r.affectedRows ?? 0)
}

const isBusy = (e: SqlError): boolean => {
  const code = (e.cause as { code?: unknown } | undefined)?.code
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
}

/** PostgreSQL serialization failure / deadlock, MySQL deadlock / lock wait timeout: retry the transaction. */
const isTransient = (e: SqlError): boolean => {
  const cause = e.cause as { code?: unknown; errno?: unknown } | undefined
  return cause?.code === "40001" || cause?.code === "40P01" || cause?.errno === 1213 || cause?.errno === 1205
}

/** A SQL error's message with its driver's cause (the database's own words). */
export const describe = (e: SqlError): string => {
  const cause = e.cause as { message?: unknown; code?: unknown } | undefined
  const detail = cause?.message !== undefined ? String(cause.message) : String(e.cause ?? "")
  return `${e.message}${detail === "" ? "" : `: ${detail}`}`
}

const JOB_COLUMNS = "id, next_run_time, data, version, fence_seq, acquired_by, acquired_until"

/**
 * What ends a job's lease: `acquired_until = 0`, `acquired_by` left as it is. A job row then keeps
 * its size from lease to lease (the owner id of a process is a fixed 32 hex characters): MariaDB
 * (InnoDB) updates a row in place only when no column changes size; a lease written over `NULL`s
 * and cleared back to them made it delete and reinsert every row it leased and released (303 page
 * reorganisations and 2.9 MB of redo per 1,000 leases, measured). Only a job's first lease grows
 * its row. Read back, a row whose `acquired_until` is `0` or `NULL` has no lease ({@link leaseOf}).
 */
const RELEASED = "acquired_until = 0"
const RUN_COLUMNS =
  "job_id, scheduled_time, recorded_at, state, fence, attempt, acquired_by, acquired_until, started_at, finished_at, result, error, miss_count, last_time, ended_at, job_data"

/**
 * A job's lease as stored: `acquired_until` `0` (or `NULL`, never leased) means no lease, and then
 * `acquired_by` (kept from the last lease, see {@link RELEASED}) means nothing.
 */
const leaseOf = (by: unknown, until: unknown): { readonly acquiredBy: string | null; readonly acquiredUntil: number | null } => {
  const end = numOrNull(until)
  return end === null || end === 0 ? { acquiredBy: null, acquiredUntil: null } : { acquiredBy: strOrNull(by), acquiredUntil: end }
}

const toJobRow = (r: Row): EncodedRow => ({
  id: String(r.id),
  nextRunTime: numOrNull(r.next_run_time),
  data: String(r.data),
  version: num(r.version),
  fenceSeq: num(r.fence_seq),
  ...leaseOf(r.acquired_by, r.acquired_until)
})

/**
 * A job row read as an array of {@link JOB_COLUMNS}, in their order (SQLite: better-sqlite3 makes
 * 1,000 rows of 7 columns as arrays in 0.83 ms of CPU, as objects in 1.45 ms).
 */
const toJobRowFromValues = (v: ReadonlyArray<unknown>): EncodedRow => ({
  id: String(v[0]),
  nextRunTime: numOrNull(v[1]),
  data: String(v[2]),
  version: num(v[3]),
  fenceSeq: num(v[4]),
  ...leaseOf(v[5], v[6])
})

const toRun = (r: Row): EncodedRun => ({
  jobId: String(r.job_id),
  scheduledTime: num(r.scheduled_time),
  recordedAt: num(r.recorded_at),
  state: String(r.state) as RunState,
  fence: num(r.fence),
  attempt: num(r.attempt),
  acquiredBy: strOrNull(r.acquired_by),
  acquiredUntil: numOrNull(r.acquired_until),
  startedAt: numOrNull(r.started_at),
  finishedAt: numOrNull(r.finished_at),
  result: strOrNull(r.result),
  error: strOrNull(r.error),
  count: num(r.miss_count),
  lastTime: num(r.last_time),
  endedAt: numOrNull(r.ended_at),
  jobData: strOrNull(r.job_data)
})

/** The columns of a new run that vary from run to run in a `release` ({@link NEW_RUN}). */
const newRunValues = (r: EncodedRun): ReadonlyArray<unknown> => [
  r.jobId,
  r.scheduledTime,
  r.state,
  r.fence,
  r.acquiredUntil,
  r.count,
  r.lastTime,
  r.jobData ?? null
]

/** A column of a derived table ({@link rowsOf}). */
interface Column {
  readonly name: string
  readonly type: "id" | "text" | "bigint" | "int"
}

/**
 * SQLite: the most rows a derived table passes as bound `VALUES` (of at most 16 columns: 16,384
 * parameters, under SQLite's default limit of 32,766); a larger batch goes as JSON.
 */
const SQLITE_VALUES_ROWS = 1024

const PG_TYPES = { id: "text", text: "text", bigint: "bigint", int: "int" } as const
const MYSQL_TYPES = { id: "VARCHAR(255)", text: "LONGTEXT", bigint: "BIGINT", int: "INT" } as const

/**
 * The varying columns of the runs a `release` inserts; the rest follow from the state and the
 * release (`recorded_at` = now; a `ready` run: attempt 1, leased by the owner, not ended; a
 * missed or skipped one: attempt 0, no lease, ended now; no start, end, result or error yet).
 */
const NEW_RUN: ReadonlyArray<Column> = [
  { name: "job_id", type: "id" },
  { name: "scheduled_time", type: "bigint" },
  { name: "state", type: "id" },
  { name: "fence", type: "bigint" },
  { name: "acquired_until", type: "bigint" },
  { name: "miss_count", type: "bigint" },
  { name: "last_time", type: "bigint" },
  { name: "job_data", type: "text" }
]

/**
 * In-process hints between SQLite stores sharing one client (one connection per file and process:
 * `PRAGMA data_version` only sees other connections' commits): listeners by client, with their
 * channel.
 */
const localHints = new WeakMap<object, Set<{ readonly channel: string; readonly wake: () => void }>>()

/** The process's real clock (for the SQLite change poll). */
const realClock = Clock.make()

const key = (jobId: string, t: number) => `${t}\u0000${jobId}`

/**
 * The run record a release writes for a planned time of `d`: `ready` (fenced, attempt 1, leased to
 * `owner` until `until`, carrying a removed job's record) or ended at once (`missed`, `skipped`).
 * One shape for the PostgreSQL statement's outcomes and the SQLite / MySQL plan.
 */
const plannedRun = (
  d: RowDecision,
  p: { readonly scheduledTime: number; readonly count: number; readonly lastTime: number },
  at: number,
  state: RunState,
  fence: number,
  owner: string,
  until: number | null
): EncodedRun => {
  const ready = state === "ready"
  return {
    jobId: d.id,
    scheduledTime: p.scheduledTime,
    recordedAt: at,
    state,
    fence: ready ? fence : 0,
    attempt: ready ? 1 : 0,
    acquiredBy: ready ? owner : null,
    acquiredUntil: ready ? until : null,
    startedAt: null,
    finishedAt: null,
    result: null,
    error: null,
    count: p.count,
    lastTime: p.lastTime,
    endedAt: ready ? null : at,
    jobData: ready && d.next === null ? d.removedData ?? null : null
  }
}

/** `@effect/sql-pg`'s `PgClient` as far as listening goes (the client itself; never imported here). */
interface PgListener {
  readonly listen: (channel: string) => Stream.Stream<string, unknown>
}
const pgListenerOf = (client: unknown): PgListener | undefined =>
  typeof (client as Partial<PgListener>).listen === "function" ? client as PgListener : undefined

/**
 * Builds the driver over the `SqlClient` in context (its transforms disabled: the driver reads
 * its own column names).
 */
export const make = (
  options: DriverOptions
): Effect.Effect<EncodedDriver & { readonly schemaVersion: Effect.Effect<number, StoreError> }, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const client = yield* SqlClient.SqlClient
    const sql = client.withoutTransforms()
    const dialect: Dialect = sql.onDialectOrElse({
      sqlite: () => "sqlite" as const,
      pg: () => "pg" as const,
      mysql: () => "mysql" as const,
      orElse: () => "sqlite" as const
    })
    const t = tables(options.prefix)
    const J = sql(t.jobs)
    const R = sql(t.runs)
    const M = sql(t.migrations)
    const forUpdate = dialect === "sqlite" ? sql`` : sql` FOR UPDATE`
    const skipLocked = dialect === "sqlite" ? sql`` : sql` FOR UPDATE SKIP LOCKED`
    const lit = (s: string) => sql.literal(s)

    /**
     * PostgreSQL and SQLite: `column IN (ids)` with the ids as one parameter, so the statement's
     * text never varies with the batch (prepared once): PostgreSQL `= ANY($1)` (an array), SQLite
     * `json_each` (MySQL joins {@link idsTable} instead).
     */
    const idIn = (column: string, ids: ReadonlyArray<string>): Fragment =>
      dialect === "pg"
        ? sql`${lit(column)} = ANY(${ids as Array<string>})`
        : sql`${lit(column)} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`

    /**
     * MySQL / MariaDB: the ids as a derived table `ids(v)` to join first (`STRAIGHT_JOIN`): an
     * `IN (subquery)` in an `UPDATE` or `DELETE` is evaluated per row of the table there.
     */
    const idsTable = (ids: ReadonlyArray<string>): Fragment =>
      sql`JSON_TABLE(${JSON.stringify(ids)}, '$[*]' COLUMNS (v VARCHAR(255) PATH '$')) AS ids`

    /** SQLite: the `VALUES` lists of {@link sqliteRows}, by width and number of rows. */
    const valuesTexts = new Map<string, string>()

    /**
     * SQLite: a derived table of up to {@link SQLITE_VALUES_ROWS} rows as a `VALUES` list of bound
     * parameters, padded with rows of `NULL` (left out) to the next power of two (at least 8), so a
     * statement has one text per size class (prepared once, 1.9 ms for 1,024 rows of 8 columns,
     * then found in the client's cache of 200 statements: 8 classes of 8 statements at most).
     * `json_extract` of each column of a JSON parameter cost more: a release's insert of 1,000
     * runs (8 columns) took 3.38 ms of CPU with it, 2.01 ms from bound values; a renewal of
     * 1,000 run leases 6.71 ms, 3.90 ms.
     */
    const sqliteRows = (alias: string, columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<unknown>>): Fragment => {
      let size = 8
      while (size < rows.length) size *= 2
      const width = columns.length
      const textKey = `${width}:${size}`
      let values = valuesTexts.get(textKey)
      if (values === undefined) {
        // no spaces: the client's statement cache hashes and compares the whole text on each use
        const row = `(${"?,".repeat(width - 1)}?)`
        values = Array.from({ length: size }, () => row).join(",")
        valuesTexts.set(textKey, values)
      }
      const params: Array<unknown> = new Array(size * width).fill(null)
      let i = 0
      for (const row of rows) {
        for (let c = 0; c < width; c++) {
          const v = row[c]
          params[i + c] = v === undefined ? null : typeof v === "boolean" ? Number(v) : v
        }
        i += width
      }
      const picks = columns.map((c, i) => `column${i + 1} AS ${c.name}`).join(", ")
      return Statement.unsafeFragment(`(SELECT ${picks} FROM (VALUES ${values}) WHERE column1 IS NOT NULL) AS ${alias}`, params)
    }

    /**
     * A derived table `alias(column, …)` of `rows` passed as one JSON parameter (PostgreSQL:
     * `jsonb_array_elements`; SQLite: `json_each`, or bound `VALUES` ({@link sqliteRows}) up to
     * {@link SQLITE_VALUES_ROWS} rows; MySQL: `JSON_TABLE`). The first column is never `NULL`.
     */
    const rowsOf = (alias: string, columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<unknown>>): Fragment => {
      if (dialect === "sqlite" && rows.length <= SQLITE_VALUES_ROWS) return sqliteRows(alias, columns, rows)
      if (dialect === "pg") {
        // one JSON parameter for every statement, `release` included: one typed array per
        // column (`unnest($1::text[], …)`) cost the release of 1,000 plans 1.5 ms less of the
        // server's CPU but 0.8 ms more of the client's (node-postgres escapes each element), and
        // a parse of the rows alone as much on each side: neutral, so one mechanism
        const picks = columns.map((c, i) =>
          c.type === "id" || c.type === "text" ? `e->>${i} AS ${c.name}` : `(e->>${i})::${PG_TYPES[c.type]} AS ${c.name}`
        ).join(", ")
        return sql`(SELECT ${lit(picks)} FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) AS e) AS ${lit(alias)}`
      }
      if (dialect === "sqlite") {
        const picks = columns.map((c, i) => `json_extract(value, '$[${i}]') AS ${c.name}`).join(", ")
        return sql`(SELECT ${lit(picks)} FROM json_each(${JSON.stringify(rows)})) AS ${lit(alias)}`
      }
      const defs = columns.map((c, i) => `${c.name} ${MYSQL_TYPES[c.type]} PATH '$[${i}]'`).join(", ")
      return sql`JSON_TABLE(${JSON.stringify(rows)}, '$[*]' COLUMNS (${lit(defs)})) AS ${lit(alias)}`
    }

    /**
     * MySQL / MariaDB, the writes of a `release` only: the rows of a `VALUES` list, as one
     * parameter that mysql2 writes out as `(…), (…)` (a nested array, its bulk-insert form). Those
     * writes go as text (`query`, in the release's second round trip, where nothing is prepared,
     * so a text that varies with the batch costs nothing). MariaDB inserts 1,000 runs from it in
     * 7.7 ms of server CPU (8.7 ms from a `JSON_TABLE` of 8 columns) and upserts 1,000 jobs'
     * columns in 7.5 ms (8.1 ms); mysql2 writes the 1,000 runs out in 0.4 ms (one placeholder per
     * value: 1.4 ms).
     */
    const mysqlValues = (rows: ReadonlyArray<ReadonlyArray<unknown>>): Fragment =>
      Statement.unsafeFragment("?", [rows.map((r) => r.map((v) => (v === undefined ? null : v)))])

    // -- errors and retries ------------------------------------------------------------------------

    const fail = (operation: string, reason: string) => new StoreError({ store: options.name, operation, reason })

    /** Sleeps between busy retries on the live clock (a `TestClock` must not stall a busy retry). */
    const liveClock = Clock.make()

    /** SQLite: retries a busy database (another connection holds the write lock) with backoff. */
    const retryBusy = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      const loop = (attempt: number, deadline: number): Effect.Effect<A, E, R> =>
        Effect.catchIf(
          effect,
          (e) =>
            (e as { _tag?: string })._tag === "SqlError" && isBusy(e as SqlError) &&
            liveClock.unsafeCurrentTimeMillis() < deadline,
          () =>
            Random.next.pipe(
              Effect.flatMap((r) => Effect.withClock(Effect.sleep(Math.min(50, 2 * 1.5 ** attempt) * (0.5 + r)), liveClock)),
              Effect.zipRight(Effect.suspend(() => loop(attempt + 1, deadline)))
            )
        )
      return Effect.suspend(() => loop(0, liveClock.unsafeCurrentTimeMillis() + options.busyRetryMs))
    }

    /** Maps SQL errors to `StoreError` (SQLite: retrying a busy database first). */
    const guard = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E | SqlError, R>): Effect.Effect<A, Exclude<E, SqlError> | StoreError, R> =>
      Effect.catchIf(
        dialect === "sqlite" ? retryBusy(effect) : effect,
        (e): e is SqlError => (e as { _tag?: string })._tag === "SqlError",
        (e) => Effect.fail(fail(operation, describe(e)))
      ) as Effect.Effect<A, Exclude<E, SqlError> | StoreError, R>

    const mysqlSession = dialect === "mysql" && options.mysqlSession !== "" ? options.mysqlSession : undefined
    const begin = dialect === "sqlite"
      ? "BEGIN IMMEDIATE"
      : dialect === "mysql"
      ? `${mysqlSession === undefined ? "" : `${mysqlSession}; `}SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION`
      : "BEGIN"
    /** The number of statements (and results) of `begin`. */
    const beginStatements = dialect === "mysql" ? (mysqlSession === undefined ? 2 : 3) : 1

    const endWith = (conn: Connection, statement: "COMMIT" | "ROLLBACK") =>
      conn.executeUnprepared(statement, [], undefined)

    /**
     * One transaction on a reserved connection: begun with the dialect's statement, committed on
     * success, rolled back otherwise; the end is uninterruptible, and its failure is a
     * `StoreError` (never a defect).
     */
    const transaction = (operation: string) => <A, E, R>(body: Effect.Effect<A, E, R>) =>
      guard(operation)(
        retryTransient(Effect.uninterruptibleMask((restore) =>
          Effect.scoped(
            Effect.gen(function*() {
              // not interruptible until the body: @effect/sql-pg's reserve cannot be interrupted
              // while it waits for a pooled connection without leaking that connection, and a
              // transaction begun is always ended here (a connection never goes back inside one)
              const conn = yield* sql.reserve
              yield* conn.executeUnprepared(begin, [], undefined)
              const exit = yield* Effect.exit(
                restore(Effect.provideService(body, SqlClient.TransactionConnection, [conn, 0] as const))
              )
              if (Exit.isSuccess(exit)) {
                const committed = yield* Effect.exit(endWith(conn, "COMMIT"))
                if (Exit.isSuccess(committed)) return exit.value
                yield* Effect.ignore(endWith(conn, "ROLLBACK"))
                return yield* Effect.failCause(committed.cause)
              }
              const rolledBack = yield* Effect.exit(endWith(conn, "ROLLBACK"))
              if (Exit.isFailure(rolledBack)) {
                yield* Effect.logWarning(`Job store "${options.name}": ROLLBACK failed in ${operation}`).pipe(
                  Effect.annotateLogs({ cause: Cause.pretty(rolledBack.cause) })
                )
              }
              return yield* Effect.failCause(exit.cause)
            })
          ) as Effect.Effect<A, E | SqlError, Exclude<R, Scope.Scope>>
        ))
      )

    /** Runs a transaction again (up to 3 times) when the database chose it as a deadlock victim. */
    const retryTransient = <A, E, R>(effect: Effect.Effect<A, E, R>, attempt = 0): Effect.Effect<A, E, R> =>
      Effect.catchIf(
        effect,
        (e) => attempt < 3 && (e as { _tag?: string })._tag === "SqlError" && isTransient(e as SqlError),
        () => Effect.suspend(() => retryTransient(effect, attempt + 1))
      )

    // -- time -------------------------------------------------------------------------------------

    const databaseNow = sql.onDialectOrElse({
      pg: () => sql`SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now`,
      // UTC_TIMESTAMP: epoch ms whatever the session time zone (UNIX_TIMESTAMP(NOW()) is off by an hour in a DST fall-back)
      mysql: () => sql`SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6)) DIV 1000 AS now`,
      orElse: () => sql`SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now`
    })

    /** The store's current time: Effect's `Clock` or the database's. */
    const now: Effect.Effect<number, SqlError> = options.clock === "effect"
      ? Clock.currentTimeMillis
      : Effect.map(databaseNow, (rows) => num(rows[0]!.now))

    // -- schema version ---------------------------------------------------------------------------

    const readSchemaVersion = Effect.map(
      sql`SELECT MAX(migration_id) AS v FROM ${M}`,
      (rows) => rows.length === 0 || rows[0]!.v === null ? 0 : num(rows[0]!.v)
    )

    /** Fails (refusing to claim) when the database holds a schema newer than this store knows. */
    const checkSchema = Effect.flatMap(readSchemaVersion, (v) =>
      v > SCHEMA_VERSION
        ? Effect.fail(fail(
          "acquire",
          `the database holds schema version ${v}, newer than version ${SCHEMA_VERSION} that this store knows: refusing to claim jobs (upgrade effect-apscheduler)`
        ))
        : Effect.void)

    // -- user writes --------------------------------------------------------------------------------

    /** The wake-up channel of the store (PostgreSQL `NOTIFY`; SQLite in-process hints). */
    const channel = `${options.prefix}_wakeup`

    const nextFence = sql`(SELECT COALESCE(MAX(fence), 0) FROM ${R} WHERE job_id = `

    /**
     * PostgreSQL: a user write and its wake-up hint in one statement (so in one transaction: the
     * peers are told at its commit, and only of a write that changed a row). `write` returns
     * the written ids; the payload is the job id, cut to 200 characters (`pg_notify` refuses a
     * payload of 8,000 bytes or more, and the hint must never fail the write).
     */
    const withHint = (write: Fragment) =>
      sql`WITH w AS (${write} RETURNING id) SELECT left(w.id, 200) AS id, pg_notify(${channel}, left(w.id, 200)) AS n FROM w`

    const insert = (job: EncodedJob) =>
      guard("add")(
        Effect.flatMap(
          dialect === "mysql"
            // a plain INSERT (INSERT IGNORE would also turn a too long id into a truncated one)
            ? Effect.map(
              Effect.catchIf(
                sql`INSERT INTO ${J} (id, next_run_time, data, version, fence_seq) VALUES (${job.id}, ${job.nextRunTime}, ${job.data}, 1, ${nextFence}${job.id}))`.raw,
                (e) => (e.cause as { errno?: unknown } | undefined)?.errno === 1062, // ER_DUP_ENTRY
                () => Effect.succeed({ affectedRows: 0 })
              ),
              affected
            )
            : dialect === "pg"
            ? Effect.map(
              withHint(
                sql`INSERT INTO ${J} (id, next_run_time, data, version, fence_seq) VALUES (${job.id}, ${job.nextRunTime}, ${job.data}, 1, ${nextFence}${job.id})) ON CONFLICT (id) DO NOTHING`
              ),
              (rows) => rows.length
            )
            : Effect.map(
              sql`INSERT INTO ${J} (id, next_run_time, data, version, fence_seq) VALUES (${job.id}, ${job.nextRunTime}, ${job.data}, 1, ${nextFence}${job.id})) ON CONFLICT (id) DO NOTHING`.raw,
              affected
            ),
          (n) => n === 0 ? Effect.fail(new ConflictingIdError({ jobId: job.id })) : Effect.void
        )
      )

    const upsert = (job: EncodedJob) =>
      guard("add")(
        Effect.asVoid(
          dialect === "mysql"
            ? sql`INSERT INTO ${J} (id, next_run_time, data, version, fence_seq) VALUES (${job.id}, ${job.nextRunTime}, ${job.data}, 1, ${nextFence}${job.id})) ON DUPLICATE KEY UPDATE next_run_time = VALUES(next_run_time), data = VALUES(data), version = version + 1, quarantined = NULL`
            : dialect === "pg"
            ? withHint(
              sql`INSERT INTO ${J} (id, next_run_time, data, version, fence_seq) VALUES (${job.id}, ${job.nextRunTime}, ${job.data}, 1, ${nextFence}${job.id})) ON CONFLICT (id) DO UPDATE SET next_run_time = excluded.next_run_time, data = excluded.data, version = ${J}.version + 1, quarantined = NULL`
            )
            : sql`INSERT INTO ${J} (id, next_run_time, data, version, fence_seq) VALUES (${job.id}, ${job.nextRunTime}, ${job.data}, 1, ${nextFence}${job.id})) ON CONFLICT (id) DO UPDATE SET next_run_time = excluded.next_run_time, data = excluded.data, version = ${J}.version + 1, quarantined = NULL`
        )
      )

    const update = (job: EncodedJob) =>
      guard("update")(
        dialect === "pg"
          ? Effect.map(
            withHint(
              sql`UPDATE ${J} SET next_run_time = ${job.nextRunTime}, data = ${job.data}, version = version + 1 WHERE id = ${job.id} AND quarantined IS NULL`
            ),
            (rows) => rows.length > 0
          )
          : Effect.map(
            sql`UPDATE ${J} SET next_run_time = ${job.nextRunTime}, data = ${job.data}, version = version + 1 WHERE id = ${job.id} AND quarantined IS NULL`.raw,
            (raw) => affected(raw) > 0
          )
      )

    // -- wake-up hints (PostgreSQL) ------------------------------------------------------------------

    /**
     * SQLite: after a user write, the stores of this process on the same file are told at once
     * (PostgreSQL's hint is sent by the write itself, {@link withHint}; a hint is only a hint:
     * polling covers a lost one).
     */
    const notify = (_id: string) =>
      dialect === "sqlite"
        ? Effect.sync(() => {
          for (const l of localHints.get(client) ?? []) if (l.channel === channel) l.wake()
        })
        : Effect.void
    const pgListener = Option.fromNullable(dialect === "pg" ? pgListenerOf(client) : undefined)
    /**
     * The peers' hints: `LISTEN` on the store's channel. A listening connection that dies goes
     * silent, so the stream listens afresh every 30 s (and 1 s after a failure).
     */
    const pgChanges = Option.getOrUndefined(Option.map(pgListener, (client) =>
      client.listen(channel).pipe(
        Stream.as(undefined as void),
        Stream.interruptAfter("30 seconds"),
        Stream.catchAll(() => Stream.execute(Effect.sleep("1 second"))),
        Stream.forever
      )))
    /**
     * SQLite: one stream of hints, in a buffer of one (a hint is a wake-up: those not yet taken
     * are one). The stores of this process on the file share one connection: a writer tells them
     * directly (`notify`). Other processes (on one host): `PRAGMA data_version` changes when
     * another connection commits; it is read every 250 ms of real time (never the test clock: a
     * time-travelling test would otherwise run it for every quarter second it skips). One pushed
     * stream, not a merge of two: a merged stream's hint cost about 0.17 ms of CPU, a pushed one
     * about 0.01 ms (an add on SQLite hints once).
     */
    const dataVersion = Effect.map(sql`PRAGMA data_version`, (rows) => Number(Object.values(rows[0] ?? {})[0]))
    const sqliteChanges = Stream.asyncPush<void>((emit) =>
      Effect.zipRight(
        Effect.acquireRelease(
          Effect.sync(() => {
            let set = localHints.get(client)
            if (set === undefined) localHints.set(client, set = new Set())
            const listener = { channel, wake: () => void emit.single(undefined) }
            set.add(listener)
            return { set, listener }
          }),
          ({ listener, set }) => Effect.sync(() => set.delete(listener))
        ),
        Effect.forkScoped(Effect.suspend(() => {
          let last: number | undefined
          const poll = Effect.flatMap(Effect.option(dataVersion), (v) =>
            Effect.sync(() => {
              if (v._tag === "None") return
              if (last !== undefined && v.value !== last) emit.single(undefined)
              last = v.value
            }))
          return Effect.withClock(Effect.forever(Effect.zipRight(Effect.sleep("250 millis"), poll)), realClock)
        }))
      ), { bufferSize: 1, strategy: "sliding" })
    const changes = dialect === "sqlite" ? sqliteChanges : pgChanges

    const remove = (id: string) =>
      guard("remove")(Effect.map(sql`DELETE FROM ${J} WHERE id = ${id}`.raw, (raw) => affected(raw) > 0))

    const deleteAll = guard("removeAll")(Effect.asVoid(sql`DELETE FROM ${J}`))

    // -- reads --------------------------------------------------------------------------------------

    const select = (id: string) =>
      guard("lookup")(
        Effect.map(
          sql`SELECT ${lit(JOB_COLUMNS)} FROM ${J} WHERE id = ${id} AND quarantined IS NULL`,
          (rows) => rows.length === 0 ? Option.none() : Option.some(toJobRow(rows[0]!))
        )
      )

    const selectAll = guard("getAll")(
      Effect.map(
        sql`SELECT ${lit(JOB_COLUMNS)} FROM ${J} WHERE quarantined IS NULL ORDER BY (next_run_time IS NULL), next_run_time, id`,
        (rows) => rows.map(toJobRow)
      )
    )

    // min(max(next_run_time, acquired_until)) over the scheduled rows, by the next run time index
    // alone (the lease columns have none): the first row without a lease bounds it (a row due
    // later cannot come sooner), so only the rows before it are read, the leased ones at the head
    // of the index. Two statements: a bound the planner sees as a value gets an index range scan.
    const getNextRunTime = guard("getNextRunTime")(
      Effect.gen(function*() {
        const free = yield* sql`SELECT next_run_time FROM ${J} WHERE next_run_time IS NOT NULL AND (acquired_until IS NULL OR acquired_until = 0) AND quarantined IS NULL ORDER BY next_run_time LIMIT 1`
        const bound = numOrNull(free[0]?.next_run_time)
        const rows = yield* sql`SELECT MIN(CASE WHEN acquired_until > next_run_time THEN acquired_until ELSE next_run_time END) AS t FROM ${J} WHERE next_run_time IS NOT NULL AND acquired_until <> 0 AND quarantined IS NULL${
          bound === null ? sql`` : sql` AND next_run_time < ${bound}`
        }`
        const leased = numOrNull(rows[0]?.t)
        return Option.fromNullable(bound === null ? leased : leased === null ? bound : Math.min(bound, leased))
      })
    )

    // -- acquire --------------------------------------------------------------------------------------

    /**
     * PostgreSQL and SQLite on Effect's clock: one statement (atomic by itself) that picks the due
     * rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`), leases them and returns them, unless the schema
     * is newer than this store knows; when it leases nothing, the schema is checked on its own.
     */
    const acquireOneStatement = ({ horizonMs, leaseMs, limit, owner }: Claim) =>
      guard("acquire")(
        Effect.gen(function*() {
          const at = yield* now
          const bound = at + Math.max(0, horizonMs ?? 0)
          const until = at + leaseMs
          const n = Math.max(0, Math.floor(limit))
          // SQLite picks the rows by rowid: the update then finds each without the id index
          const pick = sql`SELECT ${lit(dialect === "pg" ? "id" : "rowid")} FROM ${J} WHERE next_run_time <= ${bound} AND (acquired_until IS NULL OR acquired_until <= ${at}) AND quarantined IS NULL AND (SELECT COALESCE(MAX(migration_id), 0) FROM ${M}) <= ${SCHEMA_VERSION} ORDER BY next_run_time, id LIMIT ${n}`
          const rows = n === 0 ? [] : dialect === "pg"
            ? yield* sql`WITH picked AS (${pick} FOR UPDATE SKIP LOCKED) UPDATE ${J} AS j SET acquired_by = ${owner}, acquired_until = ${until} FROM picked WHERE j.id = picked.id RETURNING j.id, j.next_run_time, j.data, j.version, j.fence_seq, j.acquired_by, j.acquired_until`
              .pipe(Effect.map((rows) => rows.map(toJobRow)))
            : yield* sql`UPDATE ${J} SET acquired_by = ${owner}, acquired_until = ${until} WHERE rowid IN (${pick}) RETURNING ${
              lit(JOB_COLUMNS)
            }`.values.pipe(Effect.map((rows) => rows.map(toJobRowFromValues)))
          if (rows.length === 0) yield* checkSchema
          return { now: at, rows }
        })
      )

    /** PostgreSQL and SQLite on the database's clock: `SELECT … FOR UPDATE SKIP LOCKED`, then `UPDATE` by ids. */
    const acquireInTransaction = ({ horizonMs, leaseMs, limit, owner }: Claim) =>
      transaction("acquire")(
        Effect.gen(function*() {
          const at = yield* now
          if (limit <= 0) {
            yield* checkSchema
            return { now: at, rows: [] }
          }
          const bound = at + Math.max(0, horizonMs ?? 0)
          const until = at + leaseMs
          // picks nothing when the schema is newer than this store knows (checked on its own then)
          const selected = yield* sql`SELECT ${lit(JOB_COLUMNS)} FROM ${J} WHERE next_run_time <= ${bound} AND (acquired_until IS NULL OR acquired_until <= ${at}) AND quarantined IS NULL AND (SELECT COALESCE(MAX(migration_id), 0) FROM ${M}) <= ${SCHEMA_VERSION} ORDER BY next_run_time, id LIMIT ${
            Math.floor(limit)
          }${skipLocked}`
          if (selected.length === 0) {
            yield* checkSchema
            return { now: at, rows: [] }
          }
          const ids = selected.map((r) => String(r.id))
          yield* sql`UPDATE ${J} SET acquired_by = ${owner}, acquired_until = ${until} WHERE ${idIn("id", ids)}`
          return {
            now: at,
            rows: selected.map((r) => ({ ...toJobRow(r), acquiredBy: owner, acquiredUntil: until }))
          }
        })
      )

    /**
     * MySQL / MariaDB: two round trips, `START TRANSACTION` with the `SELECT … FOR UPDATE SKIP
     * LOCKED` of the due rows, then the upsert of their leases with `COMMIT`; when it picks
     * nothing, the schema is checked on its own.
     *
     * Where a claim of 1,000 due jobs among 100,000 goes (MariaDB 10.11, measured per statement
     * on the connection's server thread): the `SELECT` reads 1,000 entries of the
     * `(next_run_time, id)` index and no others (no filesort; the migrations subquery is one
     * constant, read once) in about 1.8 ms of server CPU; the `COMMIT` takes 2 ms of wall time
     * (flushing the log). The lease write took about 9 ms while a release cleared the lease
     * columns to `NULL`: each lease grew the row, and InnoDB deleted and reinserted it in its page,
     * reorganizing a full page about once per 3 rows when the pages were filled in id order (303
     * reorganizations and 2.9 MB of redo per 1,000 leases; 134 and 1.5 MB when filled in random
     * order). A lease now ends as {@link RELEASED} says, the row keeping its size, and the write
     * is in place (none, 96 KB and about 4.7 ms; the whole acquire 25.2/18.6/19.8/17.3 →
     * 15.0/13.1/11.9/16.5 ms in 4 interleaved bench pairs). `UPDATE … WHERE id IN (list)` costs
     * the same as this upsert, an `UPDATE` joined to a `JSON_TABLE` twice as much, and one round
     * trip (the ids kept in a user variable, the rows read again) about 1.5 ms more.
     */
    const acquireMysql = ({ horizonMs, leaseMs, limit, owner }: Claim) =>
      Effect.gen(function*() {
        const at = yield* guard("acquire")(now)
        const bound = at + Math.max(0, horizonMs ?? 0)
        const until = at + leaseMs
        const n = Math.max(0, Math.floor(limit))
        // picks nothing when the schema is newer than this store knows (checked on its own then)
        const pick = sql`SELECT ${lit(JOB_COLUMNS)} FROM ${J} WHERE next_run_time <= ${bound} AND (acquired_until IS NULL OR acquired_until <= ${at}) AND quarantined IS NULL AND (SELECT COALESCE(MAX(migration_id), 0) FROM ${M}) <= ${SCHEMA_VERSION} ORDER BY next_run_time, id LIMIT ${n}${skipLocked}`
        const rows = n === 0 ? [] : yield* twoTripTransaction("acquire", [pick], ([selected]) => {
          const ids = selected!.map((r) => String(r.id))
          return Effect.succeed({
            value: selected!.map((r) => ({ ...toJobRow(r), acquiredBy: owner, acquiredUntil: until })),
            // rows locked by the SELECT: an upsert that always updates (faster than a join)
            last: ids.length === 0 ? [] : [
              sql`INSERT INTO ${J} (id, data, version, fence_seq, acquired_by, acquired_until) SELECT ids.v, '', 0, 0, ${owner}, ${until} FROM ${
                idsTable(ids)
              } ON DUPLICATE KEY UPDATE acquired_by = VALUES(acquired_by), acquired_until = VALUES(acquired_until)`
            ]
          })
        })
        if (rows.length === 0) yield* guard("acquire")(checkSchema)
        return { now: at, rows }
      })

    const acquire = (claim: Claim) =>
      dialect === "mysql"
        ? acquireMysql(claim)
        : options.clock === "effect"
        ? acquireOneStatement(claim)
        : acquireInTransaction(claim)

    // -- release --------------------------------------------------------------------------------------

    /** A typed parameter (PostgreSQL cannot infer the type of one in a `SELECT` list). */
    const typed = (value: unknown, type: "bigint" | "text"): Fragment =>
      dialect === "pg" ? sql`${value}::${lit(type)}` : sql`${value}`

    /**
     * The statement that inserts the runs of one `release` (recorded at `at`, the ready ones
     * leased by `owner`); a key that exists is left alone.
     */
    const insertRunsStatement = (runs: ReadonlyArray<EncodedRun>, at: number, owner: string) => {
      const columns = lit(
        "job_id, scheduled_time, recorded_at, state, fence, attempt, acquired_by, acquired_until, miss_count, last_time, ended_at, job_data"
      )
      if (dialect === "mysql") {
        const rows = runs.map((r) => {
          const ready = r.state === "ready"
          return [r.jobId, r.scheduledTime, at, r.state, r.fence, ready ? 1 : 0, ready ? owner : null, r.acquiredUntil, r.count, r.lastTime, ready ? null : at, r.jobData ?? null]
        })
        return sql`INSERT INTO ${R} (${columns}) VALUES ${mysqlValues(rows)} ON DUPLICATE KEY UPDATE job_id = ${R}.job_id`
      }
      const v = rowsOf("v", NEW_RUN, runs.map(newRunValues))
      const ready = sql`v.state = 'ready'`
      const select = sql`SELECT v.job_id, v.scheduled_time, ${typed(at, "bigint")}, v.state, v.fence, CASE WHEN ${ready} THEN 1 ELSE 0 END, CASE WHEN ${ready} THEN ${
        typed(owner, "text")
      } END, v.acquired_until, v.miss_count, v.last_time, CASE WHEN ${ready} THEN NULL ELSE ${typed(at, "bigint")} END, v.job_data FROM ${v}`
      // SQLite: `WHERE true` tells its parser that ON CONFLICT is the upsert clause, not a join's
      return sql`INSERT INTO ${R} (${columns}) ${select} WHERE true ON CONFLICT DO NOTHING`
    }

    interface JobUpdate {
      readonly id: string
      readonly nextRunTime: number | null
      readonly fenceSeq: number
      /** SQLite: the row's rowid, read in this transaction (the update finds the row by it). */
      readonly rowid?: number | undefined
    }

    const JOB_UPDATE: ReadonlyArray<Column> = [
      { name: "id", type: "id" },
      { name: "nrt", type: "bigint" },
      { name: "fs", type: "bigint" }
    ]

    const JOB_UPDATE_BY_ROWID: ReadonlyArray<Column> = [
      { name: "rid", type: "bigint" },
      { name: "nrt", type: "bigint" },
      { name: "fs", type: "bigint" }
    ]

    /** Sets the next run time and fence sequence of jobs (never their record), clearing their leases. */
    const updateJobsStatement = (updates: ReadonlyArray<JobUpdate>) => {
      if (dialect === "sqlite" && updates.every((u) => u.rowid !== undefined)) {
        const byRowid = rowsOf("v", JOB_UPDATE_BY_ROWID, updates.map((u) => [u.rowid, u.nextRunTime, u.fenceSeq]))
        return sql`UPDATE ${J} SET next_run_time = v.nrt, fence_seq = v.fs, ${lit(RELEASED)} FROM ${byRowid} WHERE ${J}.rowid = v.rid`
      }
      if (dialect === "mysql") {
        // rows locked by this transaction: an upsert that always updates (faster than a join)
        return sql`INSERT INTO ${J} (id, data, version, fence_seq, next_run_time) VALUES ${
          mysqlValues(updates.map((u) => [u.id, "", 0, u.fenceSeq, u.nextRunTime]))
        } ON DUPLICATE KEY UPDATE next_run_time = VALUES(next_run_time), fence_seq = VALUES(fence_seq), ${lit(RELEASED)}`
      }
      const v = rowsOf("v", JOB_UPDATE, updates.map((u) => [u.id, u.nextRunTime, u.fenceSeq]))
      return sql`UPDATE ${J} SET next_run_time = v.nrt, fence_seq = v.fs, ${lit(RELEASED)} FROM ${v} WHERE ${J}.id = v.id`
    }

    /** Clears the leases `owner` holds on jobs (a job changed while leased is planned again later). */
    const clearLeasesStatement = (owner: string, ids: ReadonlyArray<string>) =>
      dialect === "mysql"
        ? sql`UPDATE ${idsTable(ids)} STRAIGHT_JOIN ${J} AS j ON j.id = ids.v SET j.${lit(RELEASED)} WHERE j.acquired_by = ${owner}`
        : sql`UPDATE ${J} SET ${lit(RELEASED)} WHERE ${idIn("id", ids)} AND acquired_by = ${owner}`

    const clearLeases = (owner: string, ids: ReadonlyArray<string>) =>
      ids.length === 0 ? Effect.void : Effect.asVoid(clearLeasesStatement(owner, ids))

    const deleteJobsStatement = (ids: ReadonlyArray<string>) =>
      dialect === "mysql"
        ? sql`DELETE j FROM ${idsTable(ids)} STRAIGHT_JOIN ${J} AS j ON j.id = ids.v`
        : sql`DELETE FROM ${J} WHERE ${idIn("id", ids)}`

    /**
     * The writes of a planned `release` (SQLite, MySQL / MariaDB), in order: its runs inserted,
     * its jobs moved on, removed, or (changed while leased) their leases cleared.
     */
    const releaseWrites = (planned: PlannedRelease, at: number, owner: string): Array<Statement.Statement<Row>> => {
      const moved = planned.writes.filter((w) => !w.removed)
      const removed = planned.writes.filter((w) => w.removed).map((w) => w.id)
      return [
        ...(planned.inserts.length === 0 ? [] : [insertRunsStatement(planned.inserts, at, owner)]),
        ...(moved.length === 0 ? [] : [updateJobsStatement(moved)]),
        ...(removed.length === 0 ? [] : [deleteJobsStatement(removed)]),
        ...(planned.clear.length === 0 ? [] : [clearLeasesStatement(owner, planned.clear)])
      ]
    }

    /** The jobs of a `release`, each with the range of its planned times (an empty range without any). */
    const JOB_RANGE: ReadonlyArray<Column> = [
      { name: "id", type: "id" },
      { name: "lo", type: "bigint" },
      { name: "hi", type: "bigint" }
    ]

    /** What `release` reads of its jobs: their columns, their live runs, the run keys that exist. */
    interface ReleaseRead {
      readonly jobs: Map<string, Row>
      readonly live: Map<string, number>
      readonly existing: Set<string>
    }

    /**
     * SQLite: one statement reads the jobs of a `release` (with their rowids, by which its update
     * finds them) with the number of their live runs (maxInstances) and the run keys that exist in
     * the range of their plans (one row per existing key, or one with `ex` null). No row lock: the
     * write transaction holds the database.
     */
    const readRelease = (decisions: ReadonlyArray<RowDecision>) =>
      Effect.gen(function*() {
        const ranges = new Map<string, [number, number]>()
        for (const d of decisions) {
          let range = ranges.get(d.id)
          if (range === undefined) ranges.set(d.id, range = [Infinity, -Infinity])
          for (const p of d.runs) {
            if (p.scheduledTime < range[0]) range[0] = p.scheduledTime
            if (p.scheduledTime > range[1]) range[1] = p.scheduledTime
          }
        }
        const k = rowsOf(
          "k",
          JOB_RANGE,
          Array.from(ranges, ([id, [lo, hi]]) => (lo > hi ? [id, 1, 0] : [id, lo, hi]))
        )
        // read as arrays (cheaper to make than objects), in the order of the SELECT list
        const rows = yield* sql`SELECT j.id, j.rowid, j.version, j.fence_seq, j.acquired_by, j.acquired_until, j.quarantined, (SELECT COUNT(*) FROM ${R} AS r WHERE r.job_id = j.id AND r.state IN ('ready', 'running')) AS live, x.scheduled_time AS ex FROM ${k} CROSS JOIN ${J} AS j ON j.id = k.id LEFT JOIN ${R} AS x ON x.job_id = j.id AND x.scheduled_time >= k.lo AND x.scheduled_time <= k.hi`.values
        const read: ReleaseRead = { jobs: new Map(), live: new Map(), existing: new Set() }
        for (const r of rows) {
          const id = String(r[0])
          if (!read.jobs.has(id)) {
            read.jobs.set(id, {
              id,
              rid: r[1],
              version: r[2],
              fence_seq: r[3],
              acquired_by: r[4],
              acquired_until: r[5],
              quarantined: r[6]
            })
            read.live.set(id, num(r[7]))
          }
          if (r[8] !== null && r[8] !== undefined) read.existing.add(key(id, num(r[8])))
        }
        return read
      })

    /** MySQL / MariaDB: the planned run keys a `release` looks up (one row per job and time). */
    const RUN_KEY_PLAN: ReadonlyArray<Column> = [{ name: "id", type: "id" }, { name: "st", type: "bigint" }]

    /**
     * MySQL / MariaDB: the reads of a `release`, sent with its `START TRANSACTION` in one round
     * trip: the jobs locked (`FOR UPDATE`), then (a plain read, which locks no run: `recover`
     * locks runs before jobs), for the jobs that plan a ready run, read once the job locks are
     * held: their live runs, one row each (found by the index `(job_id, state)`, one lookup per
     * job and live state: named, since with a few runs per job the optimizer picks the primary
     * key's `job_id` prefix, which reads every run of the job), and their planned run keys that
     * exist (one primary-key lookup per planned key). Neither reads a job's ended runs, so the
     * reads do not grow with its history (joined by `job_id` alone, they read every run of the
     * job, twice).
     */
    const readReleaseMysql = (decisions: ReadonlyArray<RowDecision>) => {
      const ids = [...new Set(decisions.map((d) => d.id))]
      const lock = sql`SELECT j.id, j.version, j.fence_seq, j.acquired_by, j.acquired_until, j.quarantined FROM ${
        idsTable(ids)
      } STRAIGHT_JOIN ${J} AS j ON j.id = ids.v FOR UPDATE`
      const starting = new Set<string>()
      const keys: Array<readonly [string, number]> = []
      const planned = new Set<string>()
      for (const d of decisions) {
        if (!d.runs.some((p) => p.state === "ready")) continue
        starting.add(d.id)
        for (const p of d.runs) {
          const k = key(d.id, p.scheduledTime)
          if (planned.has(k)) continue
          planned.add(k)
          keys.push([d.id, p.scheduledTime])
        }
      }
      const statements: Array<Statement.Statement<Row>> = [lock]
      if (starting.size > 0) {
        // k = 0 rows are live runs (one per run), k = 1 rows planned run keys that exist
        statements.push(sql`SELECT 0 AS k, r.job_id, r.scheduled_time AS v FROM ${
          idsTable([...starting])
        } STRAIGHT_JOIN (SELECT 'ready' AS st UNION ALL SELECT 'running') AS s STRAIGHT_JOIN ${R} AS r FORCE INDEX (${
          sql(`${options.prefix}_runs_live`)
        }) ON r.job_id = ids.v AND r.state = s.st UNION ALL SELECT 1 AS k, r.job_id, r.scheduled_time AS v FROM ${
          rowsOf("p", RUN_KEY_PLAN, keys)
        } STRAIGHT_JOIN ${R} AS r ON r.job_id = p.id AND r.scheduled_time = p.st`)
      }
      const parse = (results: ReadonlyArray<ReadonlyArray<Row>>): ReleaseRead => {
        const read: ReleaseRead = { jobs: new Map(results[0]!.map((r) => [String(r.id), r])), live: new Map(), existing: new Set() }
        for (const r of results[1] ?? []) {
          const id = String(r.job_id)
          if (num(r.k) === 0) read.live.set(id, (read.live.get(id) ?? 0) + 1)
          else read.existing.add(key(id, num(r.v)))
        }
        return read
      }
      return { statements, parse }
    }

    /** One text of statements separated by `;` and their parameters (MySQL's multi-statement queries). */
    const joined = (statements: ReadonlyArray<Statement.Statement<Row>>): readonly [string, ReadonlyArray<unknown>] => {
      const compiled = statements.map((st) => st.compile(true))
      return [compiled.map(([text]) => text).join("; "), compiled.flatMap(([, params]) => params)]
    }

    /**
     * MySQL / MariaDB: a transaction in two round trips on a reserved connection: the dialect's
     * `begin` with the statements `first` (their results go to `body`), then the statements
     * `body` returns with `COMMIT` (uninterruptible). After any failure (a statement of a
     * multi-statement query that fails stops the rest) it is rolled back; a deadlock victim is
     * run again, as every transaction.
     */
    const twoTripTransaction = <A, E>(
      operation: string,
      first: ReadonlyArray<Statement.Statement<Row>>,
      body: (
        results: ReadonlyArray<ReadonlyArray<Row>>
      ) => Effect.Effect<{ readonly value: A; readonly last: ReadonlyArray<Statement.Statement<Row>> }, E>
    ) =>
      guard(operation)(
        retryTransient(Effect.uninterruptibleMask((restore) =>
          Effect.scoped(
            Effect.gen(function*() {
              const conn = yield* sql.reserve
              const [text, params] = joined(first)
              const opened = yield* Effect.exit(restore(
                Effect.flatMap(
                  conn.executeUnprepared(`${begin}; ${text}`, params, undefined),
                  // the results of the statements of `begin` first
                  (results) => body((results as ReadonlyArray<ReadonlyArray<Row>>).slice(beginStatements))
                )
              ))
              const done: Exit.Exit<A, E | SqlError> = Exit.isFailure(opened)
                ? Exit.failCause(opened.cause)
                : yield* Effect.exit(Effect.gen(function*() {
                const [last, lastParams] = joined(opened.value.last)
                yield* conn.executeUnprepared(last === "" ? "COMMIT" : `${last}; COMMIT`, lastParams, undefined)
                return opened.value.value
              }))
              if (Exit.isSuccess(done)) return done.value
              const rolledBack = yield* Effect.exit(endWith(conn, "ROLLBACK"))
              if (Exit.isFailure(rolledBack)) {
                yield* Effect.logWarning(`Job store "${options.name}": ROLLBACK failed in ${operation}`).pipe(
                  Effect.annotateLogs({ cause: Cause.pretty(rolledBack.cause) })
                )
              }
              return yield* Effect.failCause(done.cause)
            })
          )
        ))
      )

    /** The jobs of a PostgreSQL `release` (the first decision of each). */
    const JOB_PLAN: ReadonlyArray<Column> = [
      { name: "id", type: "id" },
      { name: "ver", type: "bigint" },
      { name: "rm", type: "int" },
      { name: "nrt", type: "bigint" },
      { name: "maxi", type: "bigint" },
      { name: "nready", type: "int" },
      { name: "rd", type: "text" }
    ]

    /** The planned runs of a PostgreSQL `release`, one per job and scheduled time. */
    const RUN_PLAN: ReadonlyArray<Column> = [
      { name: "id", type: "id" },
      { name: "st", type: "bigint" },
      { name: "missed", type: "int" },
      { name: "cnt", type: "bigint" },
      { name: "last", type: "bigint" }
    ]

    /**
     * PostgreSQL: a whole `release` in one statement (atomic by itself, no transaction around
     * it). Its snapshot reads the jobs still leased by `owner` (lease live, not quarantined) with
     * their live runs (maxInstances); the jobs whose version matches get their new runs (the keys
     * that exist left out, each planned key looked up once in the runs' primary key; the ready
     * ones numbered from the job's fence sequence, in time order) and are moved on or removed by
     * a compare-and-set on what the snapshot saw (version, fence sequence, lease owner and end,
     * not quarantined: PostgreSQL re-checks it on a row another transaction changed meanwhile);
     * only the runs of the jobs written are inserted; a job whose version differs has its lease
     * cleared. Returns the jobs it read (whether their version matched, whether they were
     * written, skipped or not, their lease end) and the fences of the new ready runs of the jobs
     * written. The runs are inserted without `ON CONFLICT`: a run key that its snapshot did not
     * see can only come from a release of the same job, which writes the job's row first, so
     * this statement's compare-and-set on that row fails and inserts none of the job's runs;
     * were a key to collide all the same, the statement fails whole (nothing written, the loop
     * retries) instead of returning a run it did not record. (The speculative insertion of
     * `ON CONFLICT DO NOTHING` cost 1.5 ms of the statement's 20 ms of server CPU for 1,000 runs.)
     */
    const releasePg = (
      owner: string,
      firsts: ReadonlyArray<RowDecision>,
      plans: ReadonlyArray<ReadonlyArray<PlannedRun>>,
      at: number,
      runLeaseMs: number | null | undefined
    ) =>
      Effect.gen(function*() {
        const c = rowsOf(
          "c",
          JOB_PLAN,
          firsts.map((d, i) => {
            let nready = 0
            for (const p of plans[i]!) if (p.state === "ready") nready++
            return [
              d.id,
              d.version,
              d.next === null ? 1 : 0,
              d.next?.nextRunTime ?? null,
              d.maxInstances,
              nready,
              d.next === null ? d.removedData ?? null : null
            ]
          })
        )
        const p = rowsOf(
          "p",
          RUN_PLAN,
          firsts.flatMap((d, i) => plans[i]!.map((r) => [d.id, r.scheduledTime, r.state === "missed" ? 1 : 0, r.count, r.lastTime]))
        )
        const ready = sql`f.state = 'ready'`
        const lease = runLeaseMs === undefined ? sql`f.until0` : typed(runLeaseMs === null ? null : at + runLeaseMs, "bigint")
        // the row the snapshot read, found again by its tuple id (a TID scan, not a second descent
        // of the primary key): a row another transaction changed since has another tuple id, and
        // every write to a job changes a column compared here anyway
        const cas = sql`j.ctid = s.tid AND s.ok AND s.same AND j.version = s.ver AND j.fence_seq = s.fs0 AND j.acquired_by = ${owner} AND j.acquired_until = s.until0 AND j.quarantined IS NULL`
        const columns = lit(
          "job_id, scheduled_time, recorded_at, state, fence, attempt, acquired_by, acquired_until, miss_count, last_time, ended_at, job_data"
        )
        // s: the statement's snapshot of the jobs (no filter, so the planner keeps its estimate of
        // the batch: joins between these CTEs are hashed): `ok` leased by owner, lease live, not
        // quarantined; `same` version; `skipped` maxInstances (the live runs, expired leases
        // included, counted only for a job that plans a ready run)
        const snapshot = sql`SELECT j.ctid AS tid, c.id, c.rm, c.nrt, c.rd, c.ver, j.quarantined IS NULL AND j.acquired_by = ${owner} AND j.acquired_until > ${at} AS ok, j.version = c.ver AS same, j.fence_seq AS fs0, j.acquired_until AS until0, c.nready > 0 AND (SELECT COUNT(*) FROM ${R} AS r WHERE r.job_id = j.id AND r.state IN ('ready', 'running')) >= c.maxi AS skipped FROM c JOIN ${J} AS j ON j.id = c.id`
        // e: the planned runs of the jobs whose version matches, each with whether its key exists
        // (one lookup in the runs' primary key per planned run, whatever the job's history: a
        // lateral lookup with LIMIT, which the planner never turns into a hash of the whole table)
        const planned = sql`SELECT p.id, p.st, p.missed, p.cnt, p.last, s.rd, s.until0, s.skipped, s.fs0, x.ex IS NOT NULL AS ex FROM p JOIN s ON s.id = p.id LEFT JOIN LATERAL (SELECT true AS ex FROM ${R} AS x WHERE x.job_id = p.id AND x.scheduled_time = p.st LIMIT 1) AS x ON true WHERE s.ok AND s.same`
        // k: per job, its new ready runs and whether some planned ready time exists (`partial`:
        // then the fences of its new runs are returned)
        const counts = sql`SELECT e.id, COUNT(*) FILTER (WHERE e.missed = 0 AND NOT e.ex) AS k, bool_or(e.missed = 0 AND e.ex) AS partial FROM e GROUP BY e.id`
        // f: the new runs (the keys that exist left out), the ready ones numbered from the job's
        // fence sequence in time order
        const fresh = sql`SELECT e.id, e.st, e.cnt, e.last, e.rd, e.until0, k.partial, CASE WHEN e.missed = 1 THEN 'missed' WHEN e.skipped THEN 'skipped' ELSE 'ready' END AS state, CASE WHEN e.missed = 1 OR e.skipped THEN 0 ELSE e.fs0 + ROW_NUMBER() OVER (PARTITION BY e.id, e.missed = 1 ORDER BY e.st) END AS fence FROM e JOIN k ON k.id = e.id WHERE NOT e.ex`
        // what the jobs written return: whether they were skipped, their lease end, their fence
        // sequence as read, whether some planned ready time exists (then their fences are returned)
        const written = "j.id, s.skipped, s.until0, s.fs0, COALESCE(k.partial, false) AS partial"
        const statement = sql`WITH c AS (SELECT * FROM ${c}), p AS (SELECT * FROM ${p}), s AS (${snapshot}), e AS (${planned}), k AS (${counts}), f AS (${fresh}), u AS (UPDATE ${J} AS j SET next_run_time = s.nrt, fence_seq = s.fs0 + CASE WHEN s.skipped THEN 0 ELSE COALESCE(k.k, 0) END, ${lit(RELEASED)} FROM s LEFT JOIN k ON k.id = s.id WHERE s.rm = 0 AND ${cas} RETURNING ${
          lit(written)
        }), d AS (DELETE FROM ${J} AS j USING s LEFT JOIN k ON k.id = s.id WHERE s.rm = 1 AND ${cas} RETURNING ${lit(written)}), w AS (SELECT * FROM u UNION ALL SELECT * FROM d), i AS (INSERT INTO ${R} (${columns}) SELECT f.id, f.st, ${
          typed(at, "bigint")
        }, f.state, f.fence, CASE WHEN ${ready} THEN 1 ELSE 0 END, CASE WHEN ${ready} THEN ${typed(owner, "text")} END, CASE WHEN ${ready} THEN ${lease} END, f.cnt, f.last, CASE WHEN ${ready} THEN NULL ELSE ${
          typed(at, "bigint")
        } END, CASE WHEN ${ready} THEN f.rd END FROM f WHERE f.id IN (SELECT id FROM w)), x AS (UPDATE ${J} AS j SET ${lit(RELEASED)} FROM s WHERE j.id = s.id AND s.ok AND NOT s.same AND j.acquired_by = ${owner}) SELECT 1 AS k, w.id, w.skipped, w.until0, w.fs0, w.partial, NULL::bigint AS st, NULL::bigint AS fence FROM w UNION ALL SELECT 0, s.id, NULL, NULL, NULL, NULL, NULL, NULL FROM s WHERE s.ok AND s.same AND s.id NOT IN (SELECT id FROM w) UNION ALL SELECT 2, f.id, NULL, NULL, NULL, NULL, f.st, f.fence FROM f WHERE ${ready} AND f.partial`
        return yield* statement
      })

    /**
     * PostgreSQL: a `release` in one statement ({@link releasePg}), retried when it is a deadlock
     * victim; a second statement only to clear the leases of jobs changed between its snapshot
     * and its write.
     */
    const releaseOneStatement = (owner: string, decisions: ReadonlyArray<RowDecision>, runLeaseMs: number | null | undefined) =>
      guard("release")(retryTransient(Effect.gen(function*() {
        const at = yield* now
        const outcomes: Array<RowOutcome> = new Array(decisions.length)
        const firsts: Array<RowDecision> = []
        const indexes: Array<number> = []
        const plans: Array<Array<PlannedRun>> = []
        const seen = new Set<string>()
        decisions.forEach((d, index) => {
          if (seen.has(d.id)) {
            outcomes[index] = { _tag: "Refused" }
            return
          }
          seen.add(d.id)
          firsts.push(d)
          indexes.push(index)
          // in time order, the first planned run of each scheduled time
          const times = new Set<number>()
          plans.push([...d.runs].sort((a, b) => a.scheduledTime - b.scheduledTime).filter((p) =>
            !times.has(p.scheduledTime) && times.add(p.scheduledTime) !== undefined
          ))
        })
        const rows = yield* releasePg(owner, firsts, plans, at, runLeaseMs)
        const written = new Map<string, Row>()
        const fences = new Map<string, number>()
        const clear: Array<string> = []
        for (const r of rows) {
          const k = num(r.k)
          // a job the snapshot accepted but changed before its write (a user write, a run taken
          // over): refused, nothing written, its lease cleared (if still ours) as when the
          // snapshot sees the change
          if (k === 0) clear.push(String(r.id))
          else if (k === 1) written.set(String(r.id), r)
          else fences.set(key(String(r.id), num(r.st)), num(r.fence))
        }
        firsts.forEach((d, i) => {
          const r = written.get(d.id)
          if (r === undefined) {
            outcomes[indexes[i]!] = { _tag: "Refused" }
            return
          }
          const until = runLeaseMs === undefined ? numOrNull(r.until0) : runLeaseMs === null ? null : at + runLeaseMs
          // no planned ready time existed: the fences follow the fence sequence in time order
          let fenceSeq = r.partial === true ? 0 : num(r.fs0)
          const runs: Array<EncodedRun> = []
          if (r.skipped !== true) {
            for (const p of plans[i]!) {
              if (p.state !== "ready") continue
              const fence = r.partial === true ? fences.get(key(d.id, p.scheduledTime)) : ++fenceSeq
              if (fence === undefined) continue
              runs.push(plannedRun(d, p, at, "ready", fence, owner, until))
            }
          }
          outcomes[indexes[i]!] = { _tag: "Released", runs, skipped: r.skipped === true }
        })
        yield* clearLeases(owner, clear)
        return outcomes
      })))

    /** What SQLite and MySQL / MariaDB write for a `release`, and its outcomes. */
    interface PlannedRelease {
      readonly outcomes: Array<RowOutcome>
      readonly inserts: ReadonlyArray<EncodedRun>
      readonly writes: ReadonlyArray<JobUpdate & { readonly removed: boolean }>
      readonly clear: ReadonlyArray<string>
    }

    /**
     * SQLite and MySQL / MariaDB: the runs, job writes and outcomes of a `release` from what it
     * read: a job is accepted when its first decision finds it leased by `owner` (lease live, not
     * quarantined) at the version it was acquired at (a changed one has its lease cleared); its
     * new runs leave out the keys that exist, and the ready ones take the next fences in time order.
     */
    const planRelease = (
      decisions: ReadonlyArray<RowDecision>,
      { existing, jobs, live }: ReleaseRead,
      at: number,
      owner: string,
      runLeaseMs: number | null | undefined
    ): PlannedRelease => {
      const outcomes: Array<RowOutcome | undefined> = new Array(decisions.length)
      const accepted: Array<{ readonly index: number; readonly d: RowDecision; readonly row: Row }> = []
      const clear: Array<string> = []
      const seen = new Set<string>()
      decisions.forEach((d, index) => {
        const row = jobs.get(d.id)
        const first = !seen.has(d.id)
        seen.add(d.id)
        const until = row === undefined ? null : numOrNull(row.acquired_until)
        if (
          !first || row === undefined || row.quarantined !== null || strOrNull(row.acquired_by) !== owner ||
          until === null || !(at < until)
        ) {
          outcomes[index] = { _tag: "Refused" }
        } else if (num(row.version) !== d.version) {
          clear.push(d.id)
          outcomes[index] = { _tag: "Refused" }
        } else accepted.push({ index, d, row })
      })
      const inserts: Array<EncodedRun> = []
      const writes: Array<JobUpdate & { readonly removed: boolean }> = []
      for (const { d, index, row } of accepted) {
        const skipped = d.runs.some((p) => p.state === "ready") && (live.get(d.id) ?? 0) >= d.maxInstances
        let fenceSeq = num(row.fence_seq)
        const jobLease = numOrNull(row.acquired_until)
        const started: Array<EncodedRun> = []
        // in time order, the first planned run of each time (a plan has one run, most often)
        const sorted = d.runs.length <= 1 ? d.runs : [...d.runs].sort((a, b) => a.scheduledTime - b.scheduledTime)
        let previous: number | undefined
        for (const p of sorted) {
          if (p.scheduledTime === previous) continue
          previous = p.scheduledTime
          if (existing.size > 0 && existing.has(key(d.id, p.scheduledTime))) continue
          const state: RunState = p.state === "missed" ? "missed" : skipped ? "skipped" : "ready"
          const ready = state === "ready"
          const run = plannedRun(d, p, at, state, ready ? ++fenceSeq : 0, owner, runLeaseMs === undefined ? jobLease : runLeaseMs === null ? null : at + runLeaseMs)
          inserts.push(run)
          if (ready) started.push(run)
        }
        writes.push({
          id: d.id,
          removed: d.next === null,
          nextRunTime: d.next?.nextRunTime ?? null,
          fenceSeq,
          rowid: row.rid === undefined ? undefined : num(row.rid)
        })
        outcomes[index] = { _tag: "Released", runs: started, skipped }
      }
      return { outcomes: outcomes as Array<RowOutcome>, inserts, writes, clear }
    }

    const release = (owner: string, decisions: ReadonlyArray<RowDecision>, runLeaseMs?: number | null) => {
      if (decisions.length === 0) return Effect.succeed([])
      if (dialect === "pg") return releaseOneStatement(owner, decisions, runLeaseMs)
      if (dialect === "mysql") {
        // two round trips: START TRANSACTION with the reads; the writes with COMMIT
        return Effect.flatMap(guard("release")(now), (at) => {
          const read = readReleaseMysql(decisions)
          return twoTripTransaction("release", read.statements, (results) => {
            const planned = planRelease(decisions, read.parse(results), at, owner, runLeaseMs)
            return Effect.succeed({ value: planned.outcomes, last: releaseWrites(planned, at, owner) })
          })
        })
      }
      return transaction("release")(
        Effect.gen(function*() {
          const at = yield* now
          const planned = planRelease(decisions, yield* readRelease(decisions), at, owner, runLeaseMs)
          for (const statement of releaseWrites(planned, at, owner)) yield* statement
          return planned.outcomes
        })
      )
    }

    // -- complete --------------------------------------------------------------------------------------

    const RUN_END: ReadonlyArray<Column> = [
      { name: "job_id", type: "id" },
      { name: "st", type: "bigint" },
      { name: "state", type: "id" },
      { name: "s", type: "bigint" },
      { name: "f", type: "bigint" },
      { name: "res", type: "text" },
      { name: "err", type: "text" }
    ]

    /** Stores the ends of runs (their compare-and-set already decided). */
    const writeEnds = (ends: ReadonlyArray<EncodedCompletion>) => {
      if (ends.length === 0) return Effect.void
      const v = rowsOf(
        "v",
        RUN_END,
        ends.map((c) => [c.jobId, c.scheduledTime, c.state, c.startedAt, c.finishedAt, c.result, c.error])
      )
      return Effect.asVoid(
        dialect === "mysql"
          ? sql`UPDATE ${v} STRAIGHT_JOIN ${R} AS r ON r.job_id = v.job_id AND r.scheduled_time = v.st SET r.state = v.state, r.started_at = v.s, r.finished_at = v.f, r.result = v.res, r.error = v.err, r.ended_at = v.f, r.acquired_by = NULL, r.acquired_until = NULL`
          : dialect === "pg"
          ? sql`UPDATE ${R} AS r SET state = v.state, started_at = v.s, finished_at = v.f, result = v.res, error = v.err, ended_at = v.f, acquired_by = NULL, acquired_until = NULL FROM ${v} WHERE r.job_id = v.job_id AND r.scheduled_time = v.st`
          : sql`UPDATE ${R} SET state = v.state, started_at = v.s, finished_at = v.f, result = v.res, error = v.err, ended_at = v.f, acquired_by = NULL, acquired_until = NULL FROM ${v} WHERE ${R}.job_id = v.job_id AND ${R}.scheduled_time = v.st`
      )
    }

    const RUN_KEY: ReadonlyArray<Column> = [{ name: "job_id", type: "id" }, { name: "st", type: "bigint" }]

    /** The ends of runs with the fence each completion holds ({@link completeOneStatement}). */
    const RUN_END_FENCED: ReadonlyArray<Column> = [...RUN_END, { name: "fence", type: "bigint" }]

    /**
     * PostgreSQL, a batch with one completion per run key: one statement, atomic by
     * itself, that is the compare-and-set (`fence` and a live state) and the write, and returns
     * the keys it accepted. (PostgreSQL re-checks the condition on a row another transaction
     * changed meanwhile.)
     */
    const completeOneStatement = (completions: ReadonlyArray<EncodedCompletion>) =>
      guard("complete")(
        Effect.gen(function*() {
          const v = rowsOf(
            "v",
            RUN_END_FENCED,
            completions.map((c) => [c.jobId, c.scheduledTime, c.state, c.startedAt, c.finishedAt, c.result, c.error, c.fence])
          )
          const done = yield* sql`UPDATE ${R} AS r SET state = v.state, started_at = v.s, finished_at = v.f, result = v.res, error = v.err, ended_at = v.f, acquired_by = NULL, acquired_until = NULL FROM ${v} WHERE r.job_id = v.job_id AND r.scheduled_time = v.st AND r.fence = v.fence AND r.state IN ('ready', 'running') RETURNING r.job_id, r.scheduled_time`
          const accepted = new Set(done.map((r) => key(String(r.job_id), num(r.scheduled_time))))
          return completions.map((c) => accepted.has(key(c.jobId, c.scheduledTime)))
        })
      )

    /** Whether two completions of a batch name one run (then the first that matches wins). */
    const sharesKeys = (completions: ReadonlyArray<EncodedCompletion>) => {
      const keys = new Set<string>()
      for (const c of completions) {
        const k = key(c.jobId, c.scheduledTime)
        if (keys.has(k)) return true
        keys.add(k)
      }
      return false
    }

    const complete = (completions: ReadonlyArray<EncodedCompletion>) =>
      completions.length === 0
        ? Effect.succeed([])
        : dialect === "pg" && !sharesKeys(completions)
        ? completeOneStatement(completions)
        : transaction("complete")(
        Effect.gen(function*() {
          const keys = rowsOf("k", RUN_KEY, completions.map((c) => [c.jobId, c.scheduledTime]))
          const found = yield* (dialect === "mysql"
            ? sql`SELECT r.job_id, r.scheduled_time, r.state, r.fence FROM ${keys} STRAIGHT_JOIN ${R} AS r ON r.job_id = k.job_id AND r.scheduled_time = k.st FOR UPDATE`
            : dialect === "pg"
            ? sql`SELECT r.job_id, r.scheduled_time, r.state, r.fence FROM ${keys} JOIN ${R} AS r ON r.job_id = k.job_id AND r.scheduled_time = k.st FOR UPDATE OF r`
            : sql`SELECT r.job_id, r.scheduled_time, r.state, r.fence FROM ${keys} JOIN ${R} AS r ON r.job_id = k.job_id AND r.scheduled_time = k.st`)
          const runs = new Map<string, { fence: number; state: string }>()
          for (const r of found) {
            runs.set(key(String(r.job_id), num(r.scheduled_time)), { fence: num(r.fence), state: String(r.state) })
          }
          const ends: Array<EncodedCompletion> = []
          const accepted = completions.map((c) => {
            const run = runs.get(key(c.jobId, c.scheduledTime))
            if (run === undefined || run.fence !== c.fence || (run.state !== "ready" && run.state !== "running")) return false
            run.state = c.state // a second completion in this batch is refused
            ends.push(c)
            return true
          })
          yield* writeEnds(ends)
          return accepted
        })
      )

    // -- run leases (the Lock's heartbeat and recovery) ------------------------------------------------

    const RUN_FENCE: ReadonlyArray<Column> = [
      { name: "job_id", type: "id" },
      { name: "st", type: "bigint" },
      { name: "f", type: "bigint" }
    ]

    const fenced = (jobId: string, t: number, fence: number) => `${key(jobId, t)}\u0000${fence}`

    /**
     * Renews (or hands back, `leaseMs` 0) the leases of the runs `owner` still holds (this fence,
     * ready or running, lease live). PostgreSQL and SQLite: one `UPDATE … RETURNING` per call;
     * MySQL / MariaDB (no `RETURNING` on an `UPDATE`): lock them, then update them.
     */
    const renewRuns = (owner: string, runs: ReadonlyArray<RunKey>, leaseMs: number) => {
      if (runs.length === 0) return Effect.succeed([])
      const answer = (found: ReadonlyArray<Row>) => {
        const renewed = new Set(found.map((r) => fenced(String(r.job_id), num(r.scheduled_time), num(r.fence))))
        return runs.map((r) => renewed.has(fenced(r.jobId, r.scheduledTime, r.fence)))
      }
      const keysOf = (list: ReadonlyArray<RunKey>) => rowsOf("k", RUN_FENCE, list.map((r) => [r.jobId, r.scheduledTime, r.fence]))
      if (dialect !== "mysql") {
        return guard("renewRuns")(
          Effect.gen(function*() {
            const at = yield* now
            const until = at + leaseMs
            const k = keysOf(runs)
            const found = yield* (dialect === "pg"
              ? sql`UPDATE ${R} AS r SET acquired_until = ${until} FROM ${k} WHERE r.job_id = k.job_id AND r.scheduled_time = k.st AND r.fence = k.f AND r.state IN ('ready', 'running') AND r.acquired_by = ${owner} AND r.acquired_until > ${at} RETURNING r.job_id, r.scheduled_time, r.fence`
              : sql`UPDATE ${R} SET acquired_until = ${until} FROM ${k} WHERE ${R}.job_id = k.job_id AND ${R}.scheduled_time = k.st AND ${R}.fence = k.f AND ${R}.state IN ('ready', 'running') AND ${R}.acquired_by = ${owner} AND ${R}.acquired_until > ${at} RETURNING job_id, scheduled_time, fence`)
            return answer(found)
          })
        )
      }
      return transaction("renewRuns")(
        Effect.gen(function*() {
          const at = yield* now
          const held = sql`r.fence = k.f AND r.state IN ('ready', 'running') AND r.acquired_by = ${owner} AND r.acquired_until > ${at}`
          const found = yield* sql`SELECT r.job_id, r.scheduled_time, r.fence FROM ${
            keysOf(runs)
          } STRAIGHT_JOIN ${R} AS r ON r.job_id = k.job_id AND r.scheduled_time = k.st WHERE ${held} FOR UPDATE`
          const renewed = answer(found)
          if (found.length > 0) {
            const v = keysOf(runs.filter((_, i) => renewed[i]))
            yield* sql`UPDATE ${v} STRAIGHT_JOIN ${R} AS r ON r.job_id = k.job_id AND r.scheduled_time = k.st SET r.acquired_until = ${
              at + leaseMs
            } WHERE r.fence = k.f`
          }
          return renewed
        })
      )
    }

    const RUN_TAKEOVER: ReadonlyArray<Column> = [
      { name: "job_id", type: "id" },
      { name: "st", type: "bigint" },
      { name: "f", type: "bigint" },
      { name: "a", type: "int" },
      { name: "state", type: "id" },
      { name: "holder", type: "id" },
      { name: "lease_end", type: "bigint" },
      { name: "ended", type: "bigint" }
    ]

    const JOB_FENCE: ReadonlyArray<Column> = [{ name: "id", type: "id" }, { name: "fs", type: "bigint" }]

    /** Takes over the runs whose lease expired: new fence and attempt, or `abandoned` when the job is gone. */
    const recover = ({ leaseMs, limit, owner }: Claim) =>
      transaction("recover")(
        Effect.gen(function*() {
          const at = yield* now
          const none: RecoveredRows = { now: at, runs: [], abandoned: [] }
          if (limit <= 0) return none
          // the LIMIT counts runs, not free slots: a round whose runs belong to jobs at their
          // maxInstances takes fewer than `limit`; the next round leaves those jobs out, so they
          // never starve the recovery of other jobs' runs (a few rounds at most per call)
          const want = Math.floor(limit)
          const expired: Array<Row> = []
          const jobs = new Map<string, { row: EncodedRow; fenceSeq: number }>()
          const slots = new Map<string, number>()
          const seenJobs: Array<string> = []
          /** How many of the runs read so far would be taken over or abandoned. */
          const takeable = () => {
            const left = new Map(slots)
            let n = 0
            for (const r of expired) {
              const id = String(r.job_id)
              if (!jobs.has(id)) n++
              else if ((left.get(id) ?? 0) > 0) {
                left.set(id, left.get(id)! - 1)
                n++
              }
            }
            return n
          }
          for (let round = 0; round < 4; round++) {
            if (round > 0 && takeable() >= want) break
            const others = seenJobs.length === 0
              ? sql``
              : dialect === "mysql"
              ? sql` AND job_id NOT IN (SELECT ids.v FROM ${idsTable(seenJobs)})`
              : dialect === "pg"
              ? sql` AND NOT (job_id = ANY(${seenJobs}))`
              : sql` AND job_id NOT IN (SELECT value FROM json_each(${JSON.stringify(seenJobs)}))`
            const batch = yield* sql`SELECT ${lit(RUN_COLUMNS)} FROM ${R} WHERE state IN ('ready', 'running') AND acquired_until <= ${at}${others} ORDER BY acquired_until, scheduled_time LIMIT ${want}${skipLocked}`
            if (batch.length === 0) break
            expired.push(...batch)
            const ids = [...new Set(batch.map((r) => String(r.job_id)))]
            seenJobs.push(...ids)
            const jobRows = yield* (dialect === "mysql"
              ? sql`SELECT ${lit(JOB_COLUMNS.split(", ").map((c) => `j.${c}`).join(", "))}, j.quarantined FROM ${
                idsTable(ids)
              } STRAIGHT_JOIN ${J} AS j ON j.id = ids.v FOR UPDATE`
              : sql`SELECT ${lit(JOB_COLUMNS)}, quarantined FROM ${J} WHERE ${idIn("id", ids)}${forUpdate}`)
            for (const r of jobRows) {
              if (r.quarantined === null || r.quarantined === undefined) {
                const row = toJobRow(r)
                jobs.set(row.id, { row, fenceSeq: row.fenceSeq })
              }
            }
            // a removed one-shot job's run carries its record: its fences go on from its runs' greatest
            const orphaned = [...new Set(batch.filter((r) => !jobs.has(String(r.job_id)) && r.job_data != null).map((r) => String(r.job_id)))]
            if (orphaned.length > 0) {
              const tops = yield* (dialect === "mysql"
                ? sql`SELECT r.job_id, MAX(r.fence) AS f FROM ${idsTable(orphaned)} STRAIGHT_JOIN ${R} AS r ON r.job_id = ids.v GROUP BY r.job_id`
                : sql`SELECT job_id, MAX(fence) AS f FROM ${R} WHERE ${idIn("job_id", orphaned)} GROUP BY job_id`)
              for (const t of tops) {
                const id = String(t.job_id)
                const data = String(batch.find((r) => String(r.job_id) === id)!.job_data)
                const row: EncodedRow = { id, data, nextRunTime: null, version: 0, fenceSeq: num(t.f), acquiredBy: null, acquiredUntil: null }
                jobs.set(id, { row, fenceSeq: row.fenceSeq })
              }
            }
            // maxInstances: a job's free slots are its maxInstances minus its runs holding a valid
            // lease (counted under the job rows' locks, which release takes too)
            const jobIds = ids.filter((id) => jobs.has(id))
            if (jobIds.length > 0) {
              const valid = sql`r.state IN ('ready', 'running') AND (r.acquired_until IS NULL OR r.acquired_until > ${at})`
              const counts = yield* (dialect === "mysql"
                ? sql`SELECT r.job_id, COUNT(*) AS n FROM ${idsTable(jobIds)} STRAIGHT_JOIN ${R} AS r ON r.job_id = ids.v WHERE ${valid} GROUP BY r.job_id`
                : sql`SELECT r.job_id, COUNT(*) AS n FROM ${R} AS r WHERE ${idIn("r.job_id", jobIds)} AND ${valid} GROUP BY r.job_id`)
              const live = new Map(counts.map((c) => [String(c.job_id), num(c.n)]))
              for (const id of jobIds) slots.set(id, maxInstancesOf(jobs.get(id)!.row.data) - (live.get(id) ?? 0))
            }
            if (batch.length < want) break
          }
          if (expired.length === 0) return none
          const runs: Array<{ readonly run: EncodedRun; readonly job: EncodedRow }> = []
          const abandoned: Array<EncodedRun> = []
          for (const r of expired) {
            if (runs.length + abandoned.length >= want) break
            const run = toRun(r)
            const job = jobs.get(run.jobId)
            if (job === undefined) {
              abandoned.push({ ...run, state: "abandoned", acquiredBy: null, acquiredUntil: null, endedAt: at })
            } else {
              const free = slots.get(run.jobId)!
              if (free <= 0) continue // stays expired: taken over once a slot is free
              slots.set(run.jobId, free - 1)
              const again: EncodedRun = {
                ...run,
                state: "ready",
                fence: ++job.fenceSeq,
                attempt: run.attempt + 1,
                acquiredBy: owner,
                acquiredUntil: at + leaseMs,
                startedAt: null
              }
              runs.push({ run: again, job: job.row })
            }
          }
          const v = rowsOf(
            "v",
            RUN_TAKEOVER,
            [...runs.map((x) => x.run), ...abandoned].map((x) => [
              x.jobId,
              x.scheduledTime,
              x.fence,
              x.attempt,
              x.state,
              x.acquiredBy,
              x.acquiredUntil,
              x.endedAt
            ])
          )
          yield* (dialect === "mysql"
            ? sql`UPDATE ${v} STRAIGHT_JOIN ${R} AS r ON r.job_id = v.job_id AND r.scheduled_time = v.st SET r.fence = v.f, r.attempt = v.a, r.state = v.state, r.acquired_by = v.holder, r.acquired_until = v.lease_end, r.started_at = NULL, r.ended_at = v.ended`
            : dialect === "pg"
            ? sql`UPDATE ${R} AS r SET fence = v.f, attempt = v.a, state = v.state, acquired_by = v.holder, acquired_until = v.lease_end, started_at = NULL, ended_at = v.ended FROM ${v} WHERE r.job_id = v.job_id AND r.scheduled_time = v.st`
            : sql`UPDATE ${R} SET fence = v.f, attempt = v.a, state = v.state, acquired_by = v.holder, acquired_until = v.lease_end, started_at = NULL, ended_at = v.ended FROM ${v} WHERE ${R}.job_id = v.job_id AND ${R}.scheduled_time = v.st`)
          const fences = [...jobs.values()].filter((j) => j.row.version !== 0 && j.fenceSeq !== j.row.fenceSeq)
          if (fences.length > 0) {
            const f = rowsOf("v", JOB_FENCE, fences.map((j) => [j.row.id, j.fenceSeq]))
            yield* (dialect === "mysql"
              ? sql`UPDATE ${f} STRAIGHT_JOIN ${J} AS j ON j.id = v.id SET j.fence_seq = v.fs`
              : dialect === "pg"
              ? sql`UPDATE ${J} AS j SET fence_seq = v.fs FROM ${f} WHERE j.id = v.id`
              : sql`UPDATE ${J} SET fence_seq = v.fs FROM ${f} WHERE ${J}.id = v.id`)
          }
          return {
            now: at,
            runs: runs.map((x) => ({ run: x.run, job: { ...x.job, fenceSeq: jobs.get(x.job.id)!.fenceSeq } })),
            abandoned
          }
        })
      )

    // -- runs --------------------------------------------------------------------------------------

    const selectRuns = (jobId: string) =>
      guard("getRuns")(
        Effect.map(
          sql`SELECT ${lit(RUN_COLUMNS)} FROM ${R} WHERE job_id = ${jobId} ORDER BY scheduled_time`,
          (rows) => rows.map(toRun)
        )
      )

    let lastPurge: number | undefined
    const purgeRuns = (retentionMs: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (clockNow) => {
        if (lastPurge !== undefined && Math.abs(clockNow - lastPurge) < options.purgeEveryMs) return Effect.void
        lastPurge = clockNow
        return guard("purgeRuns")(
          Effect.flatMap(now, (at) => Effect.asVoid(sql`DELETE FROM ${R} WHERE ended_at < ${at - retentionMs}`))
        )
      })

    const quarantine = (id: string, reason: string) =>
      guard("quarantine")(
        Effect.asVoid(
          sql`UPDATE ${J} SET quarantined = ${reason}, ${lit(RELEASED)} WHERE id = ${id}`
        )
      )

    return {
      name: options.name,
      insert: (job) => Effect.zipLeft(insert(job), notify(job.id)),
      upsert: (job) => Effect.zipLeft(upsert(job), notify(job.id)),
      update: (job) => Effect.tap(update(job), (found) => (found ? notify(job.id) : Effect.void)),
      changes,
      delete: remove,
      deleteAll,
      select,
      selectAll,
      getNextRunTime,
      acquire,
      release,
      complete,
      renewRuns,
      recover,
      selectRuns,
      purgeRuns,
      quarantine,
      schemaVersion: guard("schemaVersion")(readSchemaVersion)
    }
  })
