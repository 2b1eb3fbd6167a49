import * as path from "node:path"
import * as fs from "node:fs"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
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

  it.live("a store built while a peer process holds the migration transaction of a fresh file waits for the peer's tables, then works", () =>
    Effect.gen(function*() {
      // the schema a store creates, read from a file it migrated (the peer replays it)
      const prefix = "peer"
      const scratch = path.join(dir, "scratch.sqlite")
      const { ddl, migrations } = yield* Effect.scoped(Effect.gen(function*() {
        yield* SqlJobStore.makeSqlite({ filename: scratch, tablePrefix: prefix })
        const model = yield* Effect.provide(SqliteClient.make({ filename: scratch, readonly: true }), Reactivity.layer)
        return {
          ddl: yield* model<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid`,
          migrations: yield* model<{ migration_id: number; name: string }>`SELECT migration_id, name FROM ${model(`${prefix}_migrations`)} ORDER BY migration_id`
        }
      }))
      expect(migrations.map((m) => m.migration_id)).toEqual([1, 2])

      // the peer, a connection of its own: its migrations table is there (made outside its
      // transaction, as the Migrator does), its migration transaction holds the write lock, its
      // tables are not committed yet
      const filename = path.join(dir, "race.sqlite")
      const peerScope = yield* Scope.make()
      const peer = yield* Scope.extend(Effect.provide(SqliteClient.make({ filename }), Reactivity.layer), peerScope)
      const own = ddl.filter((d) => d.name === `${prefix}_migrations`)
      expect(own).toHaveLength(1)
      yield* peer.unsafe(own[0]!.sql)
      yield* peer.unsafe("BEGIN IMMEDIATE")
      for (const m of migrations) {
        yield* peer`INSERT INTO ${peer(`${prefix}_migrations`)} (migration_id, name) VALUES (${m.migration_id}, ${m.name})`
      }
      for (const d of ddl) if (d !== own[0]) yield* peer.unsafe(d.sql)

      // this store's migration finds the database locked and leaves it to the peer; it must wait
      // for the peer's commit, not give up on a table it read too early
      const building = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const store = yield* SqlJobStore.makeSqlite({ filename, tablePrefix: prefix })
        yield* store.add(makeJob("after-race", T0))
        return (yield* store.getAll).map((j) => j.id)
      })))
      yield* Effect.sleep("600 millis")
      yield* peer.unsafe("COMMIT")
      yield* Scope.close(peerScope, Exit.void)
      expect(yield* Fiber.join(building)).toEqual(["after-race"])
    }), 30_000)

  it.live("a statement that failed to prepare (its table not there yet) is prepared again once the table is there, within 2 s", () =>
    Effect.gen(function*() {
      const sql = yield* SqlJobStore.sqliteClient({ filename: path.join(dir, "prepare.sqlite") })
      const read = sql<{ x: number }>`SELECT x FROM later`
      const first = yield* Effect.flip(read)
      expect(first._tag).toBe("SqlError")
      expect(String((first.cause as Error).message)).toMatch(/no such table: later/)
      yield* sql`CREATE TABLE later (x INTEGER)`
      yield* sql`INSERT INTO later (x) VALUES (1)`
      // the client keeps a failed preparation 2 s (@effect/sql-sqlite-node's default: 10 minutes)
      yield* Effect.sleep("2100 millis")
      expect(yield* read).toEqual([{ x: 1 }])
    }).pipe(Effect.scoped), 10_000)
})
