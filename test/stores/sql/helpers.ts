/**
 * Helpers of the SQL store tests: the machine's real servers (override with `PG_URL` /
 * `MYSQL_URL`), a table prefix of its own per test file and run, and dropping its tables after.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { tables } from "../../../src/stores/sql/migrations.js"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as Scope from "effect/Scope"
import type { StoreError } from "../../../src/errors.js"

export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
export const MYSQL_URL = process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test"

/** A table prefix no other test file or run uses. */
export const uniquePrefix = (tag: string) => `t_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

/** A fresh temporary directory (removed with `cleanup`). */
export const tempDir = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `eas-${tag}-`))

/** Drops the tables of `prefix` through a client of its own. */
export const dropTables = (
  client: Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>,
  prefix: string
): Promise<void> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const sql = yield* client
        const t = tables(prefix)
        for (const table of [t.runs, t.jobs, t.migrations]) yield* sql`DROP TABLE IF EXISTS ${sql(table)}`
      })
    )
  )

export const pgClient = () => SqlJobStore.pgClient({ url: PG_URL, maxConnections: 2 })
export const mysqlClient = () => SqlJobStore.mysqlClient({ url: MYSQL_URL, maxConnections: 2 })
