/**
 * A PostgreSQL store built while its database is unreachable (a loopback TCP proxy in front of the
 * real server refusing every connection): with `startRetryMs` it logs each failed attempt and
 * keeps trying, and is ready once the database answers again; with `startRetryMs: 0` it fails at
 * once with a `StoreError`. Real server, no timings asserted: the proxy is restored only after the
 * store has logged a failed attempt.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { StoreError } from "../../../src/errors.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { startTcpProxy } from "../../support/tcpProxy.js"
import { dropTables, pgClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("startretry")
afterAll(() => dropTables(pgClient(), prefix))

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("PostgreSQL store started while its database is unreachable", () => {
  it.scopedLive("retries its connection and migration (each failure logged) and is ready once the database answers", () =>
    Effect.gen(function*() {
      const proxy = yield* Effect.promise(() => startTcpProxy("127.0.0.1", 5432))
      yield* Effect.addFinalizer(() => Effect.promise(() => proxy.close()))
      proxy.cut()
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) warnings.push(String(message))
      })
      const url = `postgres://postgres@127.0.0.1:${proxy.port}/test`
      const building = yield* Effect.fork(
        Effect.scoped(
          Effect.flatMap(
            SqlJobStore.makePg({ url, tablePrefix: prefix, maxConnections: 2, startRetryMs: 120_000 }),
            (store) => store.getAll
          )
        ).pipe(Logger.withMinimumLogLevel(LogLevel.Warning), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      )
      // the database comes back only after the store has failed (and said so) at least twice
      // (a store that gives up at the first failure ends the fiber: the join below fails)
      while (warnings.filter((w) => w.includes("cannot start")).length < 2) {
        if ((yield* Fiber.poll(building))._tag === "Some") break
        yield* sleep(50)
      }
      expect(proxy.refused()).toBeGreaterThanOrEqual(2)
      proxy.restore()
      const jobs = yield* Fiber.join(building)
      expect(jobs).toEqual([])
      expect(warnings[0]).toMatch(/Job store ".*" cannot start \(attempt 1\): .*; trying again in 200 ms/)
    }))

  it.scopedLive("with startRetryMs 0 it fails at once with a StoreError naming the store", () =>
    Effect.gen(function*() {
      const proxy = yield* Effect.promise(() => startTcpProxy("127.0.0.1", 5432))
      yield* Effect.addFinalizer(() => Effect.promise(() => proxy.close()))
      proxy.cut()
      const url = `postgres://postgres@127.0.0.1:${proxy.port}/test`
      const error = yield* Effect.flip(
        Effect.scoped(SqlJobStore.makePg({ url, tablePrefix: prefix, maxConnections: 2, startRetryMs: 0 })).pipe(
          Logger.withMinimumLogLevel(LogLevel.None)
        )
      )
      expect(error).toBeInstanceOf(StoreError)
      expect(error.store).toBe(`postgres:${prefix}`)
    }))
})
