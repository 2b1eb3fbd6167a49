/**
 * Shared by the SQL benchmarks: the three backends (a SQLite file in a temporary directory, the
 * machine's PostgreSQL and MariaDB, each in a table prefix of its own that is dropped after), and
 * bulk seeding of job rows (setup only: what is measured goes through the store).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { StoreError } from "../src/errors.js"
import type * as Job from "../src/job/Job.js"
import { encodeJob } from "../src/stores/EncodedJobStore.js"
import { tables } from "../src/stores/sql/migrations.js"
import * as SqlJobStore from "../src/stores/sql/SqlJobStore.js"

export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
export const MYSQL_URL = process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"

export interface Backend {
  readonly name: "sqlite" | "postgres" | "mariadb"
  /** The SQLite file or the server's URL (for a raw driver beside the store). */
  readonly target: string
  readonly client: Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>
  readonly cleanup: (prefix: string) => Effect.Effect<void, unknown>
}

const drop = (client: Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>, prefix: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* client
    const t = tables(prefix)
    for (const table of [t.runs, t.jobs, t.migrations]) yield* sql`DROP TABLE IF EXISTS ${sql(table)}`
  }))

/** The backends; `only` (from argv) keeps those whose name it includes. */
export const backends = (only: ReadonlyArray<string> = process.argv.slice(2)): Array<Backend> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eas-bench-"))
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
  const all: Array<Backend> = [
    {
      name: "sqlite",
      target: path.join(dir, "bench.sqlite"),
      client: SqlJobStore.sqliteClient({ filename: path.join(dir, "bench.sqlite") }),
      // the file serves every run of the process (each in its prefix); the directory goes at exit
      cleanup: (prefix) => drop(SqlJobStore.sqliteClient({ filename: path.join(dir, "bench.sqlite") }), prefix)
    },
    {
      name: "postgres",
      target: PG_URL,
      client: SqlJobStore.pgClient({ url: PG_URL, maxConnections: 4 }),
      cleanup: (prefix) => drop(SqlJobStore.pgClient({ url: PG_URL }), prefix)
    },
    {
      name: "mariadb",
      target: MYSQL_URL,
      client: SqlJobStore.mysqlClient({ url: MYSQL_URL, maxConnections: 4 }),
      cleanup: (prefix) => drop(SqlJobStore.mysqlClient({ url: MYSQL_URL }), prefix)
    }
  ]
  return only.length === 0 ? all : all.filter((b) => only.some((o) => b.name.includes(o)))
}

/** A table prefix of its own. */
export const benchPrefix = (tag: string) => `bench_${tag}_${process.pid}`

/** Inserts job rows in bulk (setup only), 1,000 per statement. */
export const seed = (sql: SqlClient.SqlClient, prefix: string, jobs: ReadonlyArray<Job.Job>) =>
  Effect.gen(function*() {
    const t = tables(prefix)
    for (let i = 0; i < jobs.length; i += 1000) {
      const rows = jobs.slice(i, i + 1000).map((job) => {
        const row = Either.getOrThrow(encodeJob(job))
        return { id: row.id, next_run_time: row.nextRunTime, data: row.data, version: 1, fence_seq: 0 }
      })
      const statement = sql`INSERT INTO ${sql(t.jobs)} ${sql.insert(rows)}`
      yield* sql.onDialectOrElse({ mysql: () => statement.unprepared, orElse: () => statement })
    }
    yield* sql.onDialectOrElse({
      pg: () => Effect.asVoid(sql`ANALYZE ${sql(t.jobs)}`),
      mysql: () => Effect.asVoid(sql`ANALYZE TABLE ${sql(t.jobs)}`.unprepared),
      orElse: () => Effect.asVoid(sql`ANALYZE`)
    })
  })

export const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
