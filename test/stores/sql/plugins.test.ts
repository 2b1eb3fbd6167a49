/**
 * The `sqlite`, `sql` and `sqlalchemy` job store aliases: a URL picks the dialect, `sql` without
 * one is a SQLite file; bad options are `ConfigError`s naming the key.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/TestClock"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as SchedulerModule from "../../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import { parseUrl } from "../../../src/stores/sql/SqlJobStore.js"
import { dropTables, PG_URL, pgClient, tempDir, uniquePrefix } from "./helpers.js"

const T0 = Date.UTC(2024, 0, 1)
const dir = tempDir("plugins")
const pgPrefix = uniquePrefix("plug")
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true })
  await dropTables(pgClient(), pgPrefix)
})

/** Runs `body` with a scheduler configured with one default job store. */
const withStore = <A, E>(store: Record<string, unknown>, body: Effect.Effect<A, E, Scheduler>) =>
  body.pipe(
    Effect.provide(
      SchedulerModule.layerDefault(
        { timezone: "UTC", jobstores: { default: store as { type: string } } },
        { tasks: { tick: () => undefined }, start: true }
      )
    )
  )

const addTick = Effect.flatMap(Scheduler, (s) =>
  s.addJob("tick", { id: "tick", trigger: "interval", triggerArgs: { minutes: 5 }, replaceExisting: true }))
const ids = Effect.flatMap(Scheduler, (s) => Effect.map(s.getJobs(), (jobs) => jobs.map((j) => j.id)))

describe("SQL job store aliases", () => {
  it("reads SQLAlchemy-style URLs", () => {
    expect(parseUrl("sqlite:///jobs.sqlite")).toEqual({ dialect: "sqlite", filename: "jobs.sqlite" })
    expect(parseUrl("sqlite:////var/lib/jobs.sqlite")).toEqual({ dialect: "sqlite", filename: "/var/lib/jobs.sqlite" })
    expect(parseUrl("sqlite://")).toEqual({ dialect: "sqlite", filename: ":memory:" })
    expect(parseUrl("postgresql+psycopg2://u:p@db:5432/app")).toEqual({ dialect: "postgres", url: "postgres://u:p@db:5432/app" })
    expect(parseUrl("mariadb://root@127.0.0.1/test")).toEqual({ dialect: "mysql", url: "mysql://root@127.0.0.1/test" })
    expect(parseUrl("oracle://x")).toBeUndefined()
  })

  it.effect("sqlite (a file) keeps jobs for the sql alias opening the same file by URL", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const file = path.join(dir, "alias.sqlite")
      yield* withStore({ type: "sqlite", filename: file, synchronous: "FULL" }, addTick)
      expect(yield* withStore({ type: "sql", url: `sqlite:///${file}` }, ids)).toEqual(["tick"])
      expect(fs.existsSync(file)).toBe(true)
    }))

  it.effect("sqlalchemy with a postgresql URL and a table prefix", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = { type: "sqlalchemy", url: PG_URL.replace(/^postgres:/, "postgresql:"), tablename: `${pgPrefix}_jobs` }
      yield* withStore(store, addTick)
      expect(yield* withStore(store, ids)).toEqual(["tick"])
    }))

  it.live("startRetryMs (start_retry_ms) reaches the store: 0 fails on the first refused connection, no retry logged", () =>
    Effect.gen(function*() {
      // nothing listens on port 1: without the option the store logs a retry and keeps trying
      // for 60 s (the test's own timeout ends that)
      const url = "postgres://postgres@127.0.0.1:1/test"
      for (const store of [{ type: "sql", url, startRetryMs: 0 }, { type: "sqlalchemy", url, start_retry_ms: 0 }]) {
        const logged: Array<string> = []
        const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logged.push(String(message))))
        const exit = yield* Effect.exit(withStore(store, ids).pipe(Effect.provide(capture)))
        expect(Exit.isFailure(exit)).toBe(true)
        expect(logged.filter((m) => m.includes("cannot start"))).toEqual([])
      }
    }), 10_000)

  it.effect("bad options are ConfigErrors naming the key", () =>
    Effect.gen(function*() {
      for (
        const [store, key] of [
          [{ type: "sql", url: "oracle://x" }, "url"],
          [{ type: "sqlite", url: PG_URL }, "url"],
          [{ type: "sqlite", filename: path.join(dir, "x.sqlite"), synchronous: "OFF" }, "synchronous"],
          [{ type: "sql", filename: path.join(dir, "x.sqlite"), tablePrefix: "no-dashes" }, "tablePrefix"],
          [{ type: "sql", filename: path.join(dir, "x.sqlite"), clock: "wall" }, "clock"],
          [{ type: "sql", url: PG_URL, idleInTransactionTimeoutMs: "soon" }, "idleInTransactionTimeoutMs"],
          [{ type: "sql", url: PG_URL, start_retry_ms: -1 }, "startRetryMs"]
        ] as const
      ) {
        const exit = yield* Effect.exit(withStore(store, ids))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(JSON.stringify(exit.cause)).toContain(`"key":"jobstores.default.${key}"`)
      }
    }))
})


describe("database drivers", () => {
  it("load only when a store of their dialect is built (a memory-only program loads none)", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "fixtures", "driversLoaded.ts")], {
      encoding: "utf8",
      timeout: 60_000
    })
    expect(r.stderr).toBe("")
    expect(r.stdout.trim().split("\n")).toEqual(["[]", "[\"better-sqlite3\"]"])
  })
})
