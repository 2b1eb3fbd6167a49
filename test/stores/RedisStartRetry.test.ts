/**
 * A Redis store built while Redis is unreachable, through a loopback TCP proxy in front of the
 * real server (test/support/tcpProxy.ts): refusing every connection (`cut`), or accepting them and
 * never answering (`blackhole`, a late-accepting server). With `startRetryMs` the store logs each
 * failed attempt, keeps trying with a client of its own per attempt (a failed attempt's client is
 * closed: only one connection is left once Redis answers), and is ready once Redis answers; with
 * `startRetryMs: 0` it fails at once; an empty prefix fails at once whatever the bound. Real
 * server, no timings asserted: the proxy is restored only after the store has logged failures.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { StoreError } from "../../src/errors.js"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { unsafeCompile } from "../../src/triggers/compile.js"
import { startTcpProxy } from "../support/tcpProxy.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("startretry")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/** A proxy to Redis and its URL, closed with the scope. */
const proxyToRedis = Effect.acquireRelease(
  Effect.promise(async () => {
    const target = new URL(REDIS_URL)
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
    return { ...proxy, url: `redis://127.0.0.1:${proxy.port}` }
  }),
  (p) => Effect.promise(p.close)
)

/** The connections Redis holds under a client name (CLIENT LIST). */
const clientsNamed = (name: string) =>
  Effect.promise(async () =>
    String(await raw.client("LIST")).split("\n").filter((line) => line.includes(` name=${name} `)).length
  )

const trigger = unsafeCompile({ type: "interval", seconds: 60, startDate: "2030-01-01T00:00:00Z", timezone: "UTC" })

/**
 * Builds a store through `fault`ed proxy with a bound of 2 minutes, restores the proxy once the
 * store has logged two failed starts, and checks the store then works on one connection.
 */
const startsAfter = (fault: "cut" | "blackhole") =>
  Effect.gen(function*() {
    const proxy = yield* proxyToRedis
    proxy[fault]()
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) warnings.push(String(message))
    })
    const name = `startretry-${fault}-${Math.random().toString(36).slice(2, 8)}`
    const building = yield* Effect.fork(
      Effect.scoped(
        Effect.gen(function*() {
          const store = yield* RedisJobStore.make({
            url: proxy.url,
            prefix: `${prefix}:${fault}`,
            connectTimeoutMs: 300,
            connection: { connectionName: name },
            startRetryMs: 120_000
          })
          yield* store.add(
            Job.make({ id: `${fault}-job`, task: TaskRef.make("noop"), trigger, nextRunTime: Date.parse("2030-01-01T00:00:00Z") }),
            false
          )
          const ids = (yield* store.getAll).map((job) => job.id)
          // every failed attempt's client is closed: one connection under the name is left
          // (reconnecting clients would be back within their 1 s retry)
          yield* sleep(1_500)
          return { ids, connections: yield* clientsNamed(name) }
        })
      ).pipe(Logger.withMinimumLogLevel(LogLevel.Warning), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    )
    // Redis comes back only after the store has failed (and said so) at least twice (a store
    // that gives up at the first failure ends the fiber: the join below fails)
    while (warnings.filter((w) => w.includes("cannot start")).length < 2) {
      if ((yield* Fiber.poll(building))._tag === "Some") break
      yield* sleep(50)
    }
    if (fault === "cut") expect(proxy.refused()).toBeGreaterThanOrEqual(2)
    else expect(proxy.swallowed()).toBeGreaterThanOrEqual(2)
    proxy.restore()
    const got = yield* Fiber.join(building)
    expect(got).toEqual({ ids: [`${fault}-job`], connections: 1 })
    expect(warnings[0]).toMatch(/Job store "redis" cannot start \(attempt 1\): .*; trying again in 200 ms/)
  })

describe("Redis store started while Redis is unreachable", () => {
  it.scopedLive("refused connections: retries (each failure logged) and is ready once Redis answers", () =>
    startsAfter("cut"), 30_000)

  it.scopedLive("connections accepted but never answered: each attempt times out, is closed, and the store is ready once Redis answers", () =>
    startsAfter("blackhole"), 30_000)

  it.scopedLive("with startRetryMs 0 it fails at once with a StoreError naming the store", () =>
    Effect.gen(function*() {
      const proxy = yield* proxyToRedis
      proxy.cut()
      const error = yield* Effect.flip(
        Effect.scoped(RedisJobStore.make({ url: proxy.url, prefix, startRetryMs: 0 })).pipe(
          Logger.withMinimumLogLevel(LogLevel.None)
        )
      )
      expect(error).toBeInstanceOf(StoreError)
      expect([error.store, error.operation]).toEqual(["redis", "connect"])
      expect(proxy.refused()).toBe(1)
    }))

  it.scopedLive("an empty prefix fails at once (operation configure), never retried", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ message }) => void warnings.push(String(message)))
      const error = yield* Effect.flip(
        Effect.scoped(RedisJobStore.make({ url: REDIS_URL, prefix: "", startRetryMs: 120_000 })).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
      )
      expect([error.store, error.operation]).toEqual(["redis", "configure"])
      expect(error.reason).toContain("prefix")
      expect(warnings).toEqual([])
    }))

  it.effect("the plugin option startRetryMs is read, and a bad value is a ConfigError naming it", () =>
    Effect.gen(function*() {
      expect((yield* RedisJobStore.optionsFromPlugin({ startRetryMs: "500" })).startRetryMs).toBe(500)
      const error = yield* Effect.flip(RedisJobStore.optionsFromPlugin({ startRetryMs: -1 }))
      expect(error.key).toBe("startRetryMs")
    }))
})
