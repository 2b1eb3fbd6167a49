import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Plugins from "../../src/scheduler/Plugins.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import * as SchedulerConfig from "../../src/scheduler/SchedulerConfig.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { every } from "../testing/testTriggers.js"
import { SEC, T0, withScheduler } from "./helpers.js"

describe("SchedulerConfig", () => {
  it("defaults: APScheduler's job defaults, retry interval 10 s, the machine's zone", () => {
    const c = SchedulerConfig.defaults()
    expect(c.jobDefaults).toMatchObject({ misfireGraceTime: 1, coalesce: true, maxInstances: 1 })
    expect(c.jobstoreRetryInterval).toBe(10)
    expect(c.timezone).toBe(SchedulerConfig.machineTimeZone())
  })

  it("reads APScheduler's flat 'apscheduler.' dictionary with string values", () => {
    const c = Either.getOrThrow(SchedulerConfig.fromFlatOptions({
      "apscheduler.jobstores.mongo": { type: "mongodb" },
      "apscheduler.jobstores.default": { type: "sqlalchemy", url: "sqlite:///jobs.sqlite" },
      "apscheduler.executors.default": { class: "apscheduler.executors.pool:ThreadPoolExecutor", max_workers: "20" },
      "apscheduler.executors.processpool": { type: "processpool", max_workers: "5" },
      "apscheduler.job_defaults.coalesce": "false",
      "apscheduler.job_defaults.max_instances": "3",
      "apscheduler.job_defaults.misfire_grace_time": "None",
      "apscheduler.jobstore_retry_interval": "2.5",
      "apscheduler.timezone": "UTC",
      "unrelated.key": "ignored"
    }))
    expect(c.timezone).toBe("UTC")
    expect(c.jobDefaults).toMatchObject({ coalesce: false, maxInstances: 3, misfireGraceTime: null })
    expect(c.jobstoreRetryInterval).toBe(2.5)
    expect(c.executors).toEqual({
      default: { type: "threadpool", maxWorkers: 20 },
      processpool: { type: "processpool", maxWorkers: 5 }
    })
    expect(c.jobstores).toEqual({ mongo: { type: "mongodb" }, default: { type: "sqlalchemy", url: "sqlite:///jobs.sqlite" } })
    // nested dotted keys work too
    const d = Either.getOrThrow(SchedulerConfig.decode({
      "apscheduler.executors.default.type": "threadpool",
      "apscheduler.executors.default.max_workers": "4"
    }))
    expect(d.executors.default).toEqual({ type: "threadpool", maxWorkers: 4 })
  })

  it("a bad key or value gives a ConfigError naming it", () => {
    const bad = (input: unknown) => Either.getLeft(SchedulerConfig.decode(input)).pipe(Option.getOrThrow)
    expect(bad({ "apscheduler.job_defaults.coalesce": "maybe" })).toMatchObject({
      _tag: "ConfigError",
      key: "apscheduler.job_defaults.coalesce"
    })
    expect(bad({ "apscheduler.job_defaults.max_instances": "three" }).key).toBe("apscheduler.job_defaults.max_instances")
    expect(bad({ "apscheduler.job_defaults.colaesce": "true" }).key).toBe("apscheduler.job_defaults.colaesce")
    expect(bad({ "apscheduler.tiemzone": "UTC" }).key).toBe("apscheduler.tiemzone")
    expect(bad({ "apscheduler.timezone": "Mars/Olympus" }).key).toBe("timezone")
    expect(bad({ timezone: "Mars/Olympus" }).key).toBe("timezone")
    expect(bad({ jobDefaults: { maxInstances: 0 } }).key).toBe("jobDefaults.maxInstances")
    expect(bad({ jobDefaults: { misfireGraceTime: "soon" } }).key).toBe("jobDefaults.misfireGraceTime")
    expect(bad({ jobstoreRetryInterval: -1 }).key).toBe("jobstoreRetryInterval")
    expect(bad({ colour: "blue" }).key).toBe("colour")
  })

  it("snake_case keys work like camelCase ones at every level; unknown keys get a hint; a key in two spellings is refused", () => {
    const c = Either.getOrThrow(SchedulerConfig.decode({
      timezone: "UTC",
      job_defaults: { max_instances: 2, misfire_grace_time: null },
      jobstore_retry_interval: 5,
      executors: { default: { type: "threadpool", max_workers: 3 }, mine: { type: "mine", options: { pool_size: 2 } } },
      jobstores: { default: { type: "sqlite", table_prefix: "ap" } }
    }))
    expect(c.jobDefaults).toMatchObject({ maxInstances: 2, misfireGraceTime: null, coalesce: true })
    expect(c.jobstoreRetryInterval).toBe(5)
    expect(c.executors).toEqual({ default: { type: "threadpool", maxWorkers: 3 }, mine: { type: "mine", poolSize: 2 } })
    expect(c.jobstores).toEqual({ default: { type: "sqlite", tablePrefix: "ap" } })
    const bad = (input: unknown) => Either.getLeft(SchedulerConfig.decode(input)).pipe(Option.getOrThrow)
    expect(bad({ jobDefaults: { maxInstance: 3 } })).toMatchObject({
      key: "jobDefaults.maxInstance",
      reason: "is not an option; did you mean `maxInstances`?"
    })
    expect(bad({ timeZone: "UTC" }).reason).toContain("did you mean `timezone`?")
    expect(bad({ jobDefaults: { maxInstances: 1, max_instances: 2 } }).key).toBe("jobDefaults.max_instances")
    expect(bad({ job_defaults: {}, jobDefaults: {} }).key).toBe("jobDefaults")
    expect(bad({ executors: { default: { type: "x", options: { a: 1 }, b: 2 } } }).key).toBe("executors.default.b")
    expect(bad({ jobDefaults: { misfireGraceTime: 1e15 } }).key).toBe("jobDefaults.misfireGraceTime")
  })
})

describe("Scheduler configuration", () => {
  it.effect("job defaults from the configuration apply to new jobs", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const job = yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 5 } })
        expect(job).toMatchObject({ coalesce: false, maxInstances: 3, misfireGraceTime: 30 })
        expect(job.trigger.timezone).toBe("Europe/Paris")
      }), { timezone: "Europe/Paris", jobDefaults: { coalesce: false, maxInstances: 3, misfireGraceTime: 30 } }))

  it.effect("configure() works while stopped and is refused once running", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.configure({ jobDefaults: { maxInstances: 4 } })
        yield* scheduler.configure(SchedulerConfig.flat({ "apscheduler.timezone": "Asia/Tokyo" }))
        const config = yield* scheduler.config
        expect(config.jobDefaults.maxInstances).toBe(4)
        expect(config.timezone).toBe("Asia/Tokyo")
        const bad = yield* Effect.flip(scheduler.configure({ jobDefaults: { coalesce: "no" } } as never))
        expect(bad).toMatchObject({ _tag: "ConfigError", key: "jobDefaults.coalesce" })
        yield* scheduler.start()
        const refused = yield* Effect.flip(scheduler.configure({ timezone: "UTC" }))
        expect(refused._tag).toBe("SchedulerAlreadyRunningError")
        expect((yield* Effect.flip(scheduler.start()))._tag).toBe("SchedulerAlreadyRunningError")
      }), {}, { start: false }))

  it.effect("jobs added before configure() get the job defaults configured by start (the manual's third method); given values stay", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "early", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.addJob(() => 1, { id: "own", trigger: "interval", triggerArgs: { seconds: 10 }, maxInstances: 2 })
        yield* scheduler.configure({ jobDefaults: { maxInstances: 5, coalesce: false, misfireGraceTime: 30 } })
        yield* scheduler.start()
        const early = Option.getOrThrow(yield* scheduler.getJob("early"))
        expect(early).toMatchObject({ maxInstances: 5, coalesce: false, misfireGraceTime: 30 })
        const own = Option.getOrThrow(yield* scheduler.getJob("own"))
        expect(own).toMatchObject({ maxInstances: 2, coalesce: false, misfireGraceTime: 30 })
      }), {}, { start: false }))

  it.effect("an unknown executor type in the configuration fails the layer with PluginLookupError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(Scheduler, TestScheduler.layer({ executors: { default: { type: "gevent" } } }))
      )
      expect(error).toMatchObject({ _tag: "PluginLookupError", kind: "executor", alias: "gevent" })
    }))

  it.effect("a bad executor option fails the layer with a ConfigError naming it", () =>
    Effect.gen(function*() {
      for (const bad of ["ten", 0, 2.5]) {
        const error = yield* Effect.flip(
          Effect.provide(Scheduler, TestScheduler.layer({ executors: { default: { type: "threadpool", maxWorkers: bad as never } } }))
        )
        expect(error).toMatchObject({ _tag: "ConfigError", key: "executors.default.maxWorkers" })
      }
    }))

  it.effect("addExecutor / addJobstore read plugin options in snake_case too, or under `options`; a bad one is named by its path", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addExecutor("pool", { type: "threadpool", max_workers: 2 })
        yield* scheduler.addJobstore("extra", { type: "memory", options: {} })
        const bad = yield* Effect.flip(scheduler.addExecutor("bad", { type: "threadpool", max_workers: 0 }))
        expect(bad).toMatchObject({ _tag: "ConfigError", key: "executors.bad.maxWorkers" })
        const both = yield* Effect.flip(scheduler.addExecutor("both", { type: "x", options: {}, maxWorkers: 1 } as never))
        expect(both).toMatchObject({ _tag: "ConfigError", key: "executors.both.maxWorkers" })
        const job = yield* scheduler.addJob(() => 1, { id: "j", executor: "pool", jobstore: "extra", trigger: "interval", triggerArgs: { seconds: 5 } })
        expect(job).toMatchObject({ executor: "pool", jobstore: "extra" })
      })
    ))

  it.effect("users extend the plugin registry with their own trigger alias", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const plugins = yield* Plugins.Plugins
        yield* plugins.registerTrigger("every", (opts, ctx) => Either.right(every(opts.seconds as number, ctx.now)))
        yield* scheduler.addJob(() => 1, { id: "x", trigger: "every", triggerArgs: { seconds: 7 } })
        expect(TestScheduler.executed(yield* TestScheduler.advance(14 * SEC))).toEqual([T0, T0 + 7 * SEC, T0 + 14 * SEC])
      }).pipe(Effect.provide(TestScheduler.layer().pipe(Layer.orDie)))
    }))
})

describe("Scheduler.layerConfig", () => {
  it.effect("reads the configuration from a ConfigProvider", () =>
    Effect.gen(function*() {
      const scheduler = yield* Scheduler
      const config = yield* scheduler.config
      expect(config.timezone).toBe("Asia/Tokyo")
      expect(config.jobDefaults).toMatchObject({ coalesce: false, maxInstances: 2, misfireGraceTime: 1 })
    }).pipe(
      Effect.provide(SchedulerModule.layerConfig()),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
        ["TIMEZONE", "Asia/Tokyo"],
        ["JOB_DEFAULTS_COALESCE", "false"],
        ["JOB_DEFAULTS_MAX_INSTANCES", "2"]
      ])))
    ))
})
