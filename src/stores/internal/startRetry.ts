/**
 * The start of a network store (PostgreSQL, MySQL / MariaDB, Redis) retried while its server is
 * unreachable, for up to `startRetryMs` (issue 11): a process started before its database, or
 * restarted during an outage, comes up once the database answers. Shared by `SqlJobStore` and
 * `RedisJobStore`.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type { StoreError } from "../../errors.js"

/** The operation of the `StoreError` that refuses a store's options (never retried). */
export const CONFIGURE = "configure"

/** The default of `startRetryMs`. */
export const START_RETRY_MS = 60_000

const liveClock = Clock.make()

/**
 * The waits of a network store's start: 200 ms, doubling up to 5 s, while less than `boundMs`
 * (live clock) has passed since the first failure, the last wait cut to what is left of it; a
 * refused configuration is not retried. Each failure that is retried is logged with its wait.
 */
const startRetries = (boundMs: number) =>
  Schedule.exponential("200 millis").pipe(
    Schedule.union(Schedule.spaced("5 seconds")),
    Schedule.upTo(Duration.millis(boundMs)),
    Schedule.intersect(Schedule.elapsed),
    Schedule.intersect(Schedule.count),
    Schedule.intersect(Schedule.identity<StoreError>()),
    Schedule.whileOutput(([, error]) => error.operation !== CONFIGURE),
    Schedule.modifyDelayEffect(([[[, elapsed], n], error], delay) => {
      const left = Duration.subtract(Duration.millis(boundMs), elapsed)
      const wait = Duration.min(delay, left)
      return Effect.as(
        Effect.logWarning(
          `Job store "${error.store}" cannot start (attempt ${n + 1}): ${error.reason}; trying again in ${
            Duration.toMillis(wait)
          } ms (for up to ${Math.ceil(Duration.toSeconds(left))} s more)`
        ),
        wait
      )
    })
  )

/**
 * A network store's start (`build`: connect, migrate or load scripts) retried while its server is
 * unreachable, up to `boundMs` (`undefined`: {@link START_RETRY_MS}; 0 or less: one attempt):
 * each attempt in a scope of its own (a failed attempt's connections are closed at once), waits
 * on the live clock (a TestClock in context must not stall them; the attempts keep the caller's
 * clock). A `StoreError` whose operation is {@link CONFIGURE} is not retried.
 */
export const retryingStart = <A>(
  build: Effect.Effect<A, StoreError, Scope.Scope>,
  boundMs: number | undefined
): Effect.Effect<A, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const bound = boundMs ?? START_RETRY_MS
    if (bound <= 0) return yield* build
    const outer = yield* Effect.scope
    const clock = yield* Effect.clock
    const attempt = Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (inner) =>
      build.pipe(
        Scope.extend(inner),
        Effect.onError((cause) => Scope.close(inner, Exit.failCause(cause))),
        Effect.withClock(clock)
      ))
    return yield* attempt.pipe(
      Effect.retry(startRetries(bound)),
      Effect.withClock(liveClock)
    )
  })
