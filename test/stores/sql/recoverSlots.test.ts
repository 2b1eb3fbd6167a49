/**
 * Recovery's LIMIT and maxInstances on the SQL stores (SQLite, PostgreSQL, MariaDB, each in a table
 * prefix of its own): the runs of a job at its maxInstances never crowd the recovery of other
 * jobs' runs out of a call.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import type { StoreError } from "../../../src/errors.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { A, acquire, B, makeJob, plan, started } from "../jobStoreSuite.js"
import { dropTables, mysqlClient, pgClient, uniquePrefix } from "./helpers.js"

const T0 = Date.UTC(2024, 0, 1)

const backends: ReadonlyArray<{
  readonly name: string
  readonly client: () => Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>
  readonly prefixes: Array<string>
}> = [
  { name: "SQLite", client: () => SqlJobStore.sqliteClient({ filename: ":memory:" }), prefixes: [] },
  { name: "PostgreSQL", client: pgClient, prefixes: [] },
  { name: "MariaDB", client: mysqlClient, prefixes: [] }
]

afterAll(async () => {
  for (const b of backends) if (b.name !== "SQLite") for (const p of b.prefixes) await dropTables(b.client(), p)
})

for (const backend of backends) {
  describe(`SqlJobStore recover and maxInstances (${backend.name})`, () => {
    it.scoped("a job at its maxInstances with more expired runs than the limit does not starve another job's expired run", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const sql = yield* backend.client()
        const prefix = uniquePrefix("recslots")
        backend.prefixes.push(prefix)
        const store = yield* Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, clock: "effect" }), SqlClient.SqlClient, sql)
        yield* store.add(makeJob("full", T0 - 3000, { maxInstances: 1 }))
        yield* store.add(makeJob("other", T0, { maxInstances: 1 }))
        const got = yield* acquire(store, { owner: A })
        const byId = new Map(got.jobs.map((l) => [l.job.id, l]))
        // "full" holds three runs (planned at once), "other" one; each leased for 1 s
        const outcomes = yield* store.release(A, [
          { leased: byId.get("full")!, plan: plan({ runTimes: [T0 - 3000, T0 - 2000, T0 - 1000], nextRunTime: T0 + 3_600_000 }) },
          { leased: byId.get("other")!, plan: plan({ runTimes: [T0], nextRunTime: T0 + 3_600_000 }) }
        ], 1000)
        expect(outcomes.map((o) => started(o).length)).toEqual([3, 1])
        yield* TestClock.setTime(T0 + 10_000) // every lease expired; owner A is gone
        // limit 2: the two earliest expired runs are "full"'s, and "full" has one slot
        const first = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(first.runs.map((x) => `${x.run.jobId}@${x.run.scheduledTime - T0}`).sort()).toEqual(["full@-3000", "other@0"])
        // "full" now holds a live run: its other expired runs wait for its slot
        const second = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(second.runs).toEqual([])
      }))
  })
}
