/**
 * Two scheduler processes on one store (`Lock.leased`, the database's clock): one SQLite file,
 * and one PostgreSQL database (a table prefix of its own); 50 jobs every second for 20 s of real
 * time: every scheduled time has exactly one run row and exactly one call (APScheduler 3 runs
 * 63% duplicates with three processes on one SQLite file). Counts are asserted, never timings.
 * The two backends' tests run at the same time (`describe.concurrent`): their work is in the
 * child processes, and the suite is not 20 s longer for the second one.
 */
import { afterAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { dropTables, PG_URL, pgClient, tempDir, uniquePrefix } from "./helpers.js"
import { killSpawned, twoProcesses } from "./processes.js"

const dir = tempDir("two")
const pgPrefix = uniquePrefix("two")
afterAll(async () => {
  await killSpawned()
  fs.rmSync(dir, { recursive: true, force: true })
  await dropTables(pgClient(), pgPrefix)
})

const JOBS = 50
const SECONDS = 20

describe.concurrent("two scheduler processes on one store", () => {
  it(`SQLite file: ${JOBS} jobs every second for ${SECONDS} s, every scheduled time has exactly one run row and one call`, async ({ expect }) => {
    const file = path.join(dir, "jobs.sqlite")
    fs.mkdirSync(path.join(dir, "sqlite"))
    const summary = await twoProcesses(expect, {
      store: `sqlite:${file}`,
      tablePrefix: "apscheduler",
      seedStore: SqlJobStore.layerSqlite({ filename: file }),
      client: SqlJobStore.sqliteClient({ filename: file }),
      dir: path.join(dir, "sqlite"),
      jobs: JOBS,
      seconds: SECONDS
    })
    console.log(`two processes on SQLite: ${summary.runs} runs (a: ${summary.callsA}, b: ${summary.callsB}), one call each`)
  }, 90_000)

  it(`PostgreSQL: ${JOBS} jobs every second for ${SECONDS} s, every scheduled time has exactly one run row and one call`, async ({ expect }) => {
    fs.mkdirSync(path.join(dir, "pg"))
    const summary = await twoProcesses(expect, {
      store: PG_URL,
      tablePrefix: pgPrefix,
      seedStore: SqlJobStore.layerPg({ url: PG_URL, tablePrefix: pgPrefix, maxConnections: 2 }),
      client: pgClient(),
      dir: path.join(dir, "pg"),
      jobs: JOBS,
      seconds: SECONDS
    })
    console.log(`two processes on PostgreSQL: ${summary.runs} runs (a: ${summary.callsA}, b: ${summary.callsB}), one call each`)
  }, 90_000)
})
