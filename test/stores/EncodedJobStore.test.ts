import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { ConflictingIdError } from "../../src/errors.js"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import { type EncodedDriver, type EncodedRow, makeEncoded } from "../../src/stores/EncodedJobStore.js"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore } from "../../src/stores/JobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { unsafeCompile } from "../../src/triggers/compile.js"
import { suite } from "./jobStoreSuite.js"

/** A driver over a Map: what a persistent backend does, in memory (rows are JSON text). */
const mapDriver = (rows = new Map<string, EncodedRow>(), quarantined = new Map<string, string>()): EncodedDriver => {
  const ordered = (xs: Iterable<EncodedRow>) =>
    [...xs].sort((a, b) =>
      a.nextRunTime !== b.nextRunTime
        ? (a.nextRunTime ?? Infinity) - (b.nextRunTime ?? Infinity)
        : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    )
  const live = () => [...rows.values()].filter((r) => !quarantined.has(r.id))
  return {
    name: "map",
    insert: (row) =>
      Effect.suspend(() => {
        if (rows.has(row.id)) return Effect.fail(new ConflictingIdError({ jobId: row.id }))
        rows.set(row.id, row)
        return Effect.void
      }),
    upsert: (row) => Effect.sync(() => void rows.set(row.id, row)),
    update: (row) => Effect.sync(() => rows.has(row.id) && (rows.set(row.id, row), true)),
    delete: (id) => Effect.sync(() => rows.delete(id)),
    deleteAll: Effect.sync(() => {
      rows.clear()
      quarantined.clear()
    }),
    select: (id) => Effect.sync(() => Option.fromNullable(quarantined.has(id) ? undefined : rows.get(id))),
    selectDue: (now) => Effect.sync(() => ordered(live().filter((r) => r.nextRunTime !== null && r.nextRunTime <= now))),
    selectNextRunTime: Effect.sync(() => {
      const first = ordered(live())[0]
      return Option.fromNullable(first?.nextRunTime ?? undefined)
    }),
    selectAll: Effect.sync(() => ordered(live())),
    quarantine: (id, reason) => Effect.sync(() => void quarantined.set(id, reason))
  }
}

suite("EncodedJobStore (map driver)", Layer.sync(JobStore, () => makeEncoded(mapDriver())))

describe("EncodedJobStore", () => {
  const trigger = unsafeCompile({ type: "cron", minute: "0", timezone: "UTC" })

  it.effect("refuses function tasks and non-JSON arguments at add time", () =>
    Effect.gen(function*() {
      const store = makeEncoded(mapDriver())
      const fn = yield* Effect.flip(store.add(Job.make({ id: "f", task: () => 1, trigger, nextRunTime: 0 })))
      expect(fn).toMatchObject({ _tag: "InvalidArgumentError", field: "task" })
    }))

  it.effect("a row that cannot be decoded is logged, kept aside and left out; the others are returned", () =>
    Effect.gen(function*() {
      const rows = new Map<string, EncodedRow>()
      const quarantined = new Map<string, string>()
      const store = makeEncoded(mapDriver(rows, quarantined))
      yield* store.add(Job.make({ id: "good", task: TaskRef.make("t"), trigger, nextRunTime: 5 }))
      rows.set("bad", { id: "bad", nextRunTime: 1, data: "{\"version\":99}" })
      rows.set("badspec", {
        id: "badspec",
        nextRunTime: 2,
        data: rows.get("good")!.data.replace("\"minute\":\"0\"", "\"minute\":\"61\"").replace("\"good\"", "\"badspec\"")
      })
      const due = yield* store.getDueJobs(10)
      expect(due.map((j) => j.id)).toEqual(["good"])
      expect([...quarantined.keys()].sort()).toEqual(["bad", "badspec"])
      expect(rows.has("bad")).toBe(true) // never deleted
      expect((yield* store.getAll).map((j) => j.id)).toEqual(["good"])
    }))
})

describe("a scheduler on an encoded store", () => {
  it.effect("runs task references; refuses functions and non-JSON arguments before storing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2024, 0, 1))
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const registry = yield* TaskRegistry
        yield* registry.register("greet", (name: string) => `hi ${name}`)
        yield* scheduler.addJob("greet", { id: "g", args: ["ann"], trigger: "interval", triggerArgs: { seconds: 10 } })
        const fn = yield* Effect.flip(scheduler.addJob(() => 1, { id: "f" }))
        expect(fn).toMatchObject({ _tag: "InvalidArgumentError", field: "task" })
        const args = yield* Effect.flip(scheduler.addJob("greet", { id: "a", args: [new Map()] }))
        expect(args).toMatchObject({ _tag: "InvalidArgumentError", field: "args" })
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["g"])
        const events = yield* TestScheduler.advance("20 seconds")
        expect(events.filter((e) => e._tag === "JobExecuted").map((e) => (e as { retval: unknown }).retval)).toEqual([
          "hi ann",
          "hi ann"
        ])
      }).pipe(
        Effect.provide(TestScheduler.layer().pipe(Layer.provide(Layer.sync(JobStore, () => makeEncoded(mapDriver())))))
      )
    }))
})
