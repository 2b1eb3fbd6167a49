/**
 * The scheduler's event bus: a `PubSub` of {@link SchedulerEvent}s, offered as scoped
 * subscriptions, `Stream`s filtered by a code mask, and listeners (APScheduler's
 * `add_listener(fn, mask)`). A listener that throws (or fails) is logged and keeps listening; it
 * never stops the scheduler.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { InvalidArgumentError } from "../errors.js"
import { EVENT_ALL, matches, type SchedulerEvent } from "./SchedulerEvent.js"

/**
 * A listener: called with each matching event. It may return a value, a `Promise` or an `Effect`.
 *
 * @since 0.1.0
 * @category models
 */
export type Listener = (event: SchedulerEvent) => unknown

/**
 * The event bus service.
 *
 * @since 0.1.0
 * @category tags
 */
export class EventBus extends Context.Tag("effect-apscheduler/EventBus")<EventBus, {
  /** Publishes an event to every subscriber. APScheduler: `_dispatch_event`. */
  readonly publish: (event: SchedulerEvent) => Effect.Effect<void>
  /** Publishes synchronously (for hot paths already inside an Effect). */
  readonly unsafePublish: (event: SchedulerEvent) => void
  /** Is anyone subscribed (a subscription, a stream being run, a listener)? Hot paths skip building events when not. */
  readonly hasSubscribers: () => boolean
  /** A subscription that receives every event published after it was taken. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<SchedulerEvent>, never, Scope.Scope>
  /** The events matching `mask` (default `EVENT_ALL`), from the moment the stream is run. */
  readonly stream: (mask?: number) => Stream.Stream<SchedulerEvent>
  /**
   * Adds a listener for the events matching `mask`; returns its id. The subscription is taken
   * before this returns, so no later event is missed. APScheduler: `add_listener`.
   */
  readonly addListener: (listener: Listener, mask?: number) => Effect.Effect<number, InvalidArgumentError>
  /** Removes a listener (by id, or every registration of the function). APScheduler: `remove_listener`. */
  readonly removeListener: (listener: number | Listener) => Effect.Effect<void>
}>() {
  /** Subscribes to the bus in context (scoped). */
  static readonly subscribe: Effect.Effect<Queue.Dequeue<SchedulerEvent>, never, EventBus | Scope.Scope> = Effect
    .flatMap(EventBus, (bus) => bus.subscribe)
}

/**
 * Calls a listener on one event, turning its result (value, promise or Effect) into an Effect;
 * throws and failures are logged, never propagated.
 */
const callListener = (listener: Listener, event: SchedulerEvent): Effect.Effect<void> =>
  Effect.suspend(() => {
    const result = listener(event)
    if (Effect.isEffect(result)) return Effect.asVoid(result as Effect.Effect<unknown, unknown>)
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      return Effect.asVoid(Effect.tryPromise(() => result as PromiseLike<unknown>))
    }
    return Effect.void
  }).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logError("Error notifying listener", cause).pipe(
          Effect.annotateLogs({ event: event._tag })
        )
    ),
    Effect.catchAllCause(() => Effect.void)
  )

/**
 * Builds an event bus whose listeners live in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<EventBus["Type"], never, Scope.Scope> = Effect.gen(function*() {
  const pubsub = yield* Effect.acquireRelease(PubSub.unbounded<SchedulerEvent>(), PubSub.shutdown)
  const scope = yield* Effect.scope
  const listeners = new Map<number, { readonly fn: Listener; readonly scope: Scope.CloseableScope }>()
  let nextId = 1

  let subscribers = 0
  const subscribe = Effect.zipRight(
    Effect.acquireRelease(Effect.sync(() => subscribers++), () => Effect.sync(() => subscribers--)),
    PubSub.subscribe(pubsub)
  )

  const stream = (mask: number = EVENT_ALL): Stream.Stream<SchedulerEvent> => {
    const all = Stream.unwrapScoped(Effect.map(subscribe, (dequeue) => Stream.fromQueue(dequeue)))
    return mask === EVENT_ALL ? all : Stream.filter(all, (e) => matches(e, mask))
  }

  const addListener = (fn: Listener, mask: number = EVENT_ALL) =>
    Effect.uninterruptible(Effect.gen(function*() {
      if (typeof fn !== "function") {
        return yield* new InvalidArgumentError({ field: "listener", reason: `expected a function, got ${typeof fn}` })
      }
      if (typeof mask !== "number" || !Number.isInteger(mask) || mask <= 0 || (mask & ~EVENT_ALL) !== 0) {
        return yield* new InvalidArgumentError({
          field: "mask",
          reason: `expected event codes OR-ed together (a positive integer within EVENT_ALL), got ${JSON.stringify(mask)}`
        })
      }
      const child = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      const dequeue = yield* Scope.extend(subscribe, child)
      const id = nextId++
      listeners.set(id, { fn, scope: child })
      const loop = Effect.forever(
        Effect.flatMap(dequeue.take, (event) => matches(event, mask) ? callListener(fn, event) : Effect.void)
      )
      yield* Effect.forkIn(Effect.interruptible(loop), child)
      return id
    }))

  const removeListener = (listener: number | Listener) =>
    Effect.suspend(() => {
      const ids = typeof listener === "number"
        ? [listener]
        : [...listeners].filter(([, l]) => l.fn === listener).map(([id]) => id)
      return Effect.forEach(ids, (id) => {
        const entry = listeners.get(id)
        if (entry === undefined) return Effect.void
        listeners.delete(id)
        return Scope.close(entry.scope, Exit.void)
      }, { discard: true })
    })

  return EventBus.of({
    publish: (event) => Effect.sync(() => void pubsub.unsafeOffer(event)),
    unsafePublish: (event) => void pubsub.unsafeOffer(event),
    subscribe,
    hasSubscribers: () => subscribers > 0,
    stream,
    addListener,
    removeListener
  })
})

/**
 * The event bus layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<EventBus> = Layer.scoped(EventBus, make)
