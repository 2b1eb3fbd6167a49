import * as path from "node:path"
import * as fs from "node:fs"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { makeJob, suite } from "../jobStoreSuite.js"
import { tempDir, uniquePrefix } from "./helpers.js"

const T0 = Date.UTC(2024, 0, 1)
const dir = tempDir("sqlite")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

suite("SqlJobStore (SQLite, in memory)", SqlJobStore.layerSqlite({ filename: ":memory:", tablePrefix: uniquePrefix("mem") }))
suite(
  "SqlJobStore (SQLite, file)",
  SqlJobStore.layerSqlite({ filename: path.join(dir, "suite.sqlite"), tablePrefix: uniquePrefix("file") })
)

describe("SqlJobStore (SQLite) in one process", () => {
  it.effect("stores on one file share one client, open until the last one closes", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const filename = path.join(dir, "shared.sqlite")
      const first = yield* Scope.make()
      const a = yield* Scope.extend(SqlJobStore.sqliteClient({ filename }), first)
      const store = yield* Effect.scoped(Effect.gen(function*() {
        const b = yield* SqlJobStore.sqliteClient({ filename: path.relative(process.cwd(), filename) })
        expect(b).toBe(a)
        const other = yield* SqlJobStore.sqliteClient({ filename: ":memory:" })
        expect(other).not.toBe(a)
        return yield* Effect.provideService(SqlJobStore.make({ tablePrefix: "shared" }), SqlClient.SqlClient, b)
      }))
      // the second user is gone: the first one's client still works
      yield* Effect.provideService(
        Effect.flatMap(SqlJobStore.make({ tablePrefix: "shared" }), (s) => s.add(makeJob("kept", T0))),
        SqlClient.SqlClient,
        a
      )
      expect((yield* store.getAll).map((j) => j.id)).toEqual(["kept"])
      yield* Scope.close(first, Exit.void)
      // closed with its last user; opened again on demand
      const again = yield* Effect.scoped(Effect.flatMap(SqlJobStore.sqliteClient({ filename }), (c) => Effect.succeed(c)))
      expect(again).not.toBe(a)
      expect((yield* Effect.flip(store.getAll))._tag).toBe("StoreError")
    }))

  it.effect("a file in a directory that does not exist is a StoreError (connect), not a defect", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(SqlJobStore.makeSqlite({ filename: path.join(dir, "missing", "jobs.sqlite") })))
      expect(error._tag).toBe("StoreError")
      expect(error.operation).toBe("connect")
      expect(error.reason).toMatch(/directory does not exist/)
    }))
})
