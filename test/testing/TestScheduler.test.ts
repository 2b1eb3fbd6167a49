/**
 * How users time-travel their own schedules with TestScheduler (the example of its docs).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { EventBus } from "../../src/events/EventBus.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"

const MONDAY = Date.UTC(2024, 0, 1)
const HOUR = 3_600_000

describe("TestScheduler", () => {
  it.effect("a week of a weekday 09:00 report, in milliseconds", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MONDAY) // set the time before providing the layer
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const sent: Array<string> = []
        yield* scheduler.addJob((to: string) => sent.push(to), {
          id: "report",
          trigger: "cron",
          triggerArgs: { day_of_week: "mon-fri", hour: 9 },
          args: ["boss@example.com"]
        })
        const events = yield* TestScheduler.advance("7 days")
        expect(TestScheduler.executed(events, "report")).toEqual(
          [0, 1, 2, 3, 4].map((d) => MONDAY + d * 24 * HOUR + 9 * HOUR)
        )
        expect(sent).toHaveLength(5)
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))

  it.effect("in a time zone, across a DST change", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2024, 2, 9)) // Saturday before the US spring-forward
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* scheduler.addJob(() => "coffee", { id: "coffee", trigger: "cron", triggerArgs: { hour: 7, minute: 30 } })
        const events = yield* TestScheduler.advance("3 days")
        // 07:30 EST (12:30Z) before the change, 07:30 EDT (11:30Z) after
        expect(TestScheduler.executed(events).map((t) => new Date(t).toISOString())).toEqual([
          "2024-03-09T12:30:00.000Z",
          "2024-03-10T11:30:00.000Z",
          "2024-03-11T11:30:00.000Z"
        ])
      }).pipe(Effect.provide(TestScheduler.layer({ timezone: "America/New_York" })))
    }))

  it.effect("step by step with a subscription: take the next events as they happen", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MONDAY)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const events = yield* EventBus.subscribe
        yield* scheduler.addJob(() => 1, { id: "tick", trigger: "interval", triggerArgs: { minutes: 15 } })
        yield* TestClock.adjust("1 hour")
        const executed = yield* TestScheduler.take(events, 4, 4096 /* JOB_EXECUTED */)
        expect(TestScheduler.executed(executed)).toEqual([1, 2, 3, 4].map((q) => MONDAY + q * 15 * 60_000))
      }).pipe(Effect.provide(TestScheduler.layer()), Effect.scoped)
    }))
})
