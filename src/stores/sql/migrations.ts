/**
 * The migrations of the SQL job stores, run by `@effect/sql`'s `Migrator` inside the store layer
 * (table `<prefix>_migrations`). Migration `n` creates the SQL stores' schema version `n`
 * ({@link SQL_SCHEMA_VERSION}); a store refuses to claim from a database whose last migration is
 * newer than it knows. Migration 1 is `IF NOT EXISTS` throughout and migration 2 looks before it
 * rebuilds, so a peer that re-runs one does no harm.
 *
 * Schema version 1 (ARCHITECTURE §2), every time a `BIGINT` of epoch milliseconds:
 * - `<prefix>_jobs`: `id` (primary key, byte-ordered), `next_run_time` (`NULL` = paused),
 *   `data` (the job's JSON record), `version`, `fence_seq`, `acquired_by`, `acquired_until`,
 *   `quarantined` (why the row cannot be read; `NULL` for every readable row). One index besides
 *   the key: `(next_run_time, id)`, which serves the due query, the ordered listing and the next
 *   wake-up. The lease columns are not indexed, so taking and clearing a lease touches no index
 *   (PostgreSQL: a heap-only update, the table keeping free room on its pages for it). A lease
 *   ends with `acquired_until = 0`, `acquired_by` kept (a row keeps its size from lease to lease);
 *   `acquired_until` `0` or `NULL` (never leased) reads as no lease. Earlier builds of this store
 *   cleared both columns to `NULL`; they read a `0` as an expired lease, so old and
 *   new processes can share a database.
 * - `<prefix>_runs`: primary key `(job_id, scheduled_time)`; `recorded_at`, `state`, `fence`,
 *   `attempt`, `acquired_by`, `acquired_until`, `started_at`, `finished_at`, `result` (JSON
 *   text), `error`, `miss_count`, `last_time`, `ended_at`, `job_data` (the record of a job its
 *   run's `release` removed: recovery runs it from it). Indexes: the live runs of a job
 *   (`maxInstances`), `ended_at` (the purge) and the lease ends of live runs (`recover`).
 *
 * Schema version 2: the same tables and columns (the persisted schema of ARCHITECTURE §2 is
 * still version 1, `EncodedJobStore.SCHEMA_VERSION`). SQLite: the runs table is stored in
 * scheduled-time order (its key `(scheduled_time, job_id)`, the same unique pairs), with an
 * index `<prefix>_runs_job (job_id)` for the runs of one job. A claim's runs, all due about now,
 * then go to a few adjacent pages, and their completions rewrite those pages, instead of one page
 * per job among the job's older runs (measured, 1,000 jobs with 48 runs each: 1,078 pages written
 * by the insert of a claim's runs and 1,021 by their completion, 354 and 43 in time order).
 * PostgreSQL keeps rows in insertion order already; MySQL / MariaDB: unchanged (the migration
 * only records the version).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"

/**
 * The tables of a store with a given prefix.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tables {
  readonly jobs: string
  readonly runs: string
  readonly migrations: string
}

/**
 * The table names for a prefix: `<prefix>_jobs`, `<prefix>_runs`, `<prefix>_migrations`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tables = (prefix: string): Tables => ({
  jobs: `${prefix}_jobs`,
  runs: `${prefix}_runs`,
  migrations: `${prefix}_migrations`
})

/**
 * The schema version of the SQL stores: the number of their last migration.
 *
 * @since 0.1.0
 * @category constants
 */
export const SQL_SCHEMA_VERSION = 2

/**
 * Migration 1: creates schema version 1 (jobs and runs with their indexes) for the client's
 * dialect.
 *
 * @since 0.1.0
 * @category migrations
 */
export const createTables = (sql: SqlClient.SqlClient, prefix: string): Effect.Effect<void, SqlError> => {
  const t = tables(prefix)
  const J = sql(t.jobs)
  const R = sql(t.runs)
  const ix = (name: string) => sql(`${prefix}_${name}`)
  const statements = sql.onDialectOrElse({
    pg: () => [
      sql`CREATE TABLE IF NOT EXISTS ${J} (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  next_run_time BIGINT,
  data TEXT NOT NULL,
  version BIGINT NOT NULL,
  fence_seq BIGINT NOT NULL,
  acquired_by TEXT,
  acquired_until BIGINT,
  quarantined TEXT
) WITH (fillfactor = 80)`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("jobs_next")} ON ${J} (next_run_time, id)`,
      sql`CREATE TABLE IF NOT EXISTS ${R} (
  job_id TEXT COLLATE "C" NOT NULL,
  scheduled_time BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  fence BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  acquired_by TEXT,
  acquired_until BIGINT,
  started_at BIGINT,
  finished_at BIGINT,
  result TEXT,
  error TEXT,
  miss_count BIGINT NOT NULL,
  last_time BIGINT NOT NULL,
  ended_at BIGINT,
  job_data TEXT,
  PRIMARY KEY (job_id, scheduled_time)
)`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("runs_live")} ON ${R} (job_id) WHERE state IN ('ready', 'running')`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("runs_ended")} ON ${R} (ended_at) WHERE ended_at IS NOT NULL`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("runs_leased")} ON ${R} (acquired_until) WHERE state IN ('ready', 'running')`
    ],
    mysql: () => [
      // indexes inline: each table appears with its indexes at once (MySQL commits DDL at once,
      // and a peer that lost the migration race waits for the runs table, the last one)
      sql`CREATE TABLE IF NOT EXISTS ${J} (
  id VARCHAR(255) NOT NULL,
  next_run_time BIGINT NULL,
  data LONGTEXT NOT NULL,
  version BIGINT NOT NULL,
  fence_seq BIGINT NOT NULL,
  acquired_by VARCHAR(255) NULL,
  acquired_until BIGINT NULL,
  quarantined TEXT NULL,
  PRIMARY KEY (id),
  INDEX ${ix("jobs_next")} (next_run_time, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      sql`CREATE TABLE IF NOT EXISTS ${R} (
  job_id VARCHAR(255) NOT NULL,
  scheduled_time BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  state VARCHAR(16) NOT NULL,
  fence BIGINT NOT NULL,
  attempt INT NOT NULL,
  acquired_by VARCHAR(255) NULL,
  acquired_until BIGINT NULL,
  started_at BIGINT NULL,
  finished_at BIGINT NULL,
  result LONGTEXT NULL,
  error LONGTEXT NULL,
  miss_count BIGINT NOT NULL,
  last_time BIGINT NOT NULL,
  ended_at BIGINT NULL,
  job_data LONGTEXT NULL,
  PRIMARY KEY (job_id, scheduled_time),
  INDEX ${ix("runs_live")} (job_id, state),
  INDEX ${ix("runs_ended")} (ended_at),
  INDEX ${ix("runs_leased")} (acquired_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`
    ],
    orElse: () => [
      // SQLite: BIGINT has INTEGER affinity (64-bit); TEXT compares byte-wise (BINARY)
      sql`CREATE TABLE IF NOT EXISTS ${J} (
  id TEXT NOT NULL PRIMARY KEY,
  next_run_time BIGINT,
  data TEXT NOT NULL,
  version BIGINT NOT NULL,
  fence_seq BIGINT NOT NULL,
  acquired_by TEXT,
  acquired_until BIGINT,
  quarantined TEXT
)`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("jobs_next")} ON ${J} (next_run_time, id)`,
      sql`CREATE TABLE IF NOT EXISTS ${R} (
  job_id TEXT NOT NULL,
  scheduled_time BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  fence BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  acquired_by TEXT,
  acquired_until BIGINT,
  started_at BIGINT,
  finished_at BIGINT,
  result TEXT,
  error TEXT,
  miss_count BIGINT NOT NULL,
  last_time BIGINT NOT NULL,
  ended_at BIGINT,
  job_data TEXT,
  PRIMARY KEY (job_id, scheduled_time)
) WITHOUT ROWID`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("runs_live")} ON ${R} (job_id) WHERE state IN ('ready', 'running')`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("runs_ended")} ON ${R} (ended_at) WHERE ended_at IS NOT NULL`,
      sql`CREATE INDEX IF NOT EXISTS ${ix("runs_leased")} ON ${R} (acquired_until) WHERE state IN ('ready', 'running')`
    ]
  })
  return Effect.asVoid(Effect.forEach(statements, (s) => s, { discard: true }))
}

/** The columns of the runs table (both versions), in their order. */
const RUN_TABLE_COLUMNS =
  "job_id, scheduled_time, recorded_at, state, fence, attempt, acquired_by, acquired_until, started_at, finished_at, result, error, miss_count, last_time, ended_at, job_data"

/**
 * Migration 2: SQLite rebuilds the runs table in scheduled-time order (primary key
 * `(scheduled_time, job_id)`, index `(job_id)`; the rows copied over, the other indexes made
 * again), unless it is in that order already; PostgreSQL and MySQL / MariaDB: nothing (the
 * version is recorded). Runs inside the Migrator's transaction, so a failure leaves version 1.
 *
 * @since 0.1.0
 * @category migrations
 */
export const clusterRunsByTime = (sql: SqlClient.SqlClient, prefix: string): Effect.Effect<void, SqlError> =>
  sql.onDialectOrElse({
    pg: () => Effect.void,
    mysql: () => Effect.void,
    orElse: () =>
      Effect.gen(function*() {
        const t = tables(prefix)
        const R = sql(t.runs)
        const next = sql(`${prefix}_runs_v2`)
        const ix = (name: string) => sql(`${prefix}_${name}`)
        const columns = sql.literal(RUN_TABLE_COLUMNS)
        const key = yield* sql<{ readonly name: string; readonly pk: number }>`SELECT name, pk FROM pragma_table_info(${t.runs}) WHERE pk > 0 ORDER BY pk`
        if (key.map((c) => c.name).join(",") === "scheduled_time,job_id") return
        yield* sql`DROP TABLE IF EXISTS ${next}`
        yield* sql`CREATE TABLE IF NOT EXISTS ${next} (
  job_id TEXT NOT NULL,
  scheduled_time BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  fence BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  acquired_by TEXT,
  acquired_until BIGINT,
  started_at BIGINT,
  finished_at BIGINT,
  result TEXT,
  error TEXT,
  miss_count BIGINT NOT NULL,
  last_time BIGINT NOT NULL,
  ended_at BIGINT,
  job_data TEXT,
  PRIMARY KEY (scheduled_time, job_id)
) WITHOUT ROWID`
        yield* sql`INSERT INTO ${next} (${columns}) SELECT ${columns} FROM ${R} ORDER BY scheduled_time, job_id`
        yield* sql`DROP TABLE ${R}`
        yield* sql`ALTER TABLE ${next} RENAME TO ${R}`
        yield* sql`CREATE INDEX IF NOT EXISTS ${ix("runs_job")} ON ${R} (job_id)`
        yield* sql`CREATE INDEX IF NOT EXISTS ${ix("runs_live")} ON ${R} (job_id) WHERE state IN ('ready', 'running')`
        yield* sql`CREATE INDEX IF NOT EXISTS ${ix("runs_ended")} ON ${R} (ended_at) WHERE ended_at IS NOT NULL`
        yield* sql`CREATE INDEX IF NOT EXISTS ${ix("runs_leased")} ON ${R} (acquired_until) WHERE state IN ('ready', 'running')`
      })
  })
