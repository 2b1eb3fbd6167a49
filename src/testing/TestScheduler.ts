/**
 * Time-travel your own schedules: a scheduler layer for tests, driven by Effect's `TestClock`.
 * Add your jobs as in production, then `advance("7 days")` and look at what ran, when — in
 * milliseconds of real time, deterministically (seed `Random` for jitter and job ids).
 *
 * @example
 * ```ts
 * import { it, expect } from "@effect/vitest"
 * import { Effect, TestClock } from "effect"
 * import { Scheduler, TestScheduler } from "effect-apscheduler"
 *
 * it.effect("reports run at 09:00 on weekdays", () =>
 *   Effect.gen(function*() {
 *     yield* TestClock.setTime(Date.UTC(2024, 0, 1)) // a Monday; set before the layer
 *     yield* Effect.gen(function*() {
 *       const scheduler = yield* Scheduler.Scheduler
 *       yield* scheduler.addJob(() => "sent", { id: "report", trigger: "cron", triggerArgs: { dayOfWeek: "mon-fri", hour: 9 } })
 *       const events = yield* TestScheduler.advance("7 days")
 *       expect(TestScheduler.executed(events, "report").length).toBe(5)
 *     }).pipe(Effect.provide(TestScheduler.layer()))
 *   }))
 * ```
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Queue from "effect/Queue"
import * as TestClock from "effect/TestClock"
import type { ConfigError, PluginLookupError } from "../errors.js"
import { EventBus } from "../events/EventBus.js"
import { EVENT_ALL, matches, type SchedulerEvent } from "../events/SchedulerEvent.js"
import type { TaskRegistry } from "../job/TaskRegistry.js"
import type { Plugins } from "../scheduler/Plugins.js"
import * as Scheduler from "../scheduler/Scheduler.js"
import type { SchedulerConfigInput } from "../scheduler/SchedulerConfig.js"
import type { Instant } from "../triggers/Trigger.js"

/**
 * A started scheduler for tests: time zone UTC unless configured, started when built (pass
 * `start: { paused: true }` or `start: false` to change that), and not waiting for running jobs
 * when the test's scope closes. Set the `TestClock` time **before** providing it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: SchedulerConfigInput = {},
  options: Scheduler.SchedulerLayerOptions = {}
): Layer.Layer<Scheduler.Scheduler | EventBus | TaskRegistry | Plugins, ConfigError | PluginLookupError> =>
  Scheduler.layerDefault({ timezone: "UTC", ...config }, { start: true, waitOnClose: false, ...options })

/**
 * Lets every fiber that is ready run (jobs, listeners, the loop) without moving the clock.
 *
 * @since 0.1.0
 * @category combinators
 */
export const settle: Effect.Effect<void> = Effect.gen(function*() {
  for (let i = 0; i < 3; i++) {
    yield* TestClock.adjust(0)
    yield* Effect.yieldNow()
  }
})

/**
 * Moves the `TestClock` forward by `duration` (every wake-up of the scheduler happens on time on
 * the way) and returns the events published meanwhile, in order.
 *
 * @since 0.1.0
 * @category combinators
 */
export const advance = (duration: Duration.DurationInput): Effect.Effect<ReadonlyArray<SchedulerEvent>, never, EventBus> =>
  Effect.scoped(Effect.gen(function*() {
    const bus = yield* EventBus
    const events = yield* bus.subscribe
    yield* settle
    yield* TestClock.adjust(duration)
    yield* settle
    return yield* drain(events)
  }))

/**
 * {@link advance} up to an instant (no-op when the clock is already past it).
 *
 * @since 0.1.0
 * @category combinators
 */
export const advanceTo = (instant: Instant): Effect.Effect<ReadonlyArray<SchedulerEvent>, never, EventBus> =>
  Effect.flatMap(TestClock.currentTimeMillis, (now) => advance(Duration.millis(Math.max(0, instant - now))))

/**
 * Takes the events available now from a subscription (never waits).
 *
 * @since 0.1.0
 * @category combinators
 */
export const drain = (events: Queue.Dequeue<SchedulerEvent>): Effect.Effect<ReadonlyArray<SchedulerEvent>> =>
  Effect.map(events.takeAll, (chunk) => Array.from(chunk))

/**
 * Waits for the next `n` events matching `mask` from a subscription (others are skipped).
 *
 * @since 0.1.0
 * @category combinators
 */
export const take = (
  events: Queue.Dequeue<SchedulerEvent>,
  n: number,
  mask: number = EVENT_ALL
): Effect.Effect<ReadonlyArray<SchedulerEvent>> =>
  Effect.gen(function*() {
    const out: Array<SchedulerEvent> = []
    while (out.length < n) {
      const e = yield* events.take
      if (matches(e, mask)) out.push(e)
    }
    return out
  })

/**
 * The scheduled run times of the `JobExecuted` events (of one job, when `jobId` is given).
 *
 * @since 0.1.0
 * @category utils
 */
export const executed = (events: ReadonlyArray<SchedulerEvent>, jobId?: string): ReadonlyArray<Instant> =>
  events.flatMap((e) => e._tag === "JobExecuted" && (jobId === undefined || e.jobId === jobId) ? [e.scheduledRunTime] : [])

/**
 * The event tags in order (of one job, when `jobId` is given) — handy for asserting sequences.
 *
 * @since 0.1.0
 * @category utils
 */
export const tags = (events: ReadonlyArray<SchedulerEvent>, jobId?: string): ReadonlyArray<SchedulerEvent["_tag"]> =>
  events.flatMap((e) => jobId === undefined || ("jobId" in e && e.jobId === jobId) ? [e._tag] : [])
