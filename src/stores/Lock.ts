/**
 * The lock the scheduler loop takes due jobs through. With one scheduler on one store it is a
 * no-op; persistent stores shared by several schedulers provide leasing implementations.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Runs the loop's "take due jobs, advance them" step for one store as a critical section.
 *
 * @since 0.1.0
 * @category tags
 */
export class Lock extends Context.Tag("effect-apscheduler/Lock")<Lock, {
  /** Runs `effect` while holding the lock of the store `store` (an alias). */
  readonly withLock: <A, E, R>(store: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>() {}

/**
 * The no-op lock service (one scheduler per store).
 *
 * @since 0.1.0
 * @category constructors
 */
export const noop: Lock["Type"] = Lock.of({ withLock: (_store, effect) => effect })

/**
 * The no-op lock layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNoop: Layer.Layer<Lock> = Layer.succeed(Lock, noop)
