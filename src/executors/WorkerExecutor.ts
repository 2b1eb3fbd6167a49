/**
 * Worker-thread executor (placeholder until the worker pool lands).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { EventBus } from "../events/EventBus.js"
import { TaskRegistry } from "../job/TaskRegistry.js"
import type { Executor } from "./Executor.js"
import { makeBase } from "./internal/base.js"

/**
 * Options of the worker executor.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerExecutorOptions {
  readonly maxWorkers?: number | undefined
}

/**
 * Builds a worker executor.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: WorkerExecutorOptions = {}
): Effect.Effect<Executor["Type"], never, EventBus | TaskRegistry | Scope.Scope> =>
  Effect.gen(function*() {
    yield* TaskRegistry
    return yield* makeBase({
      maxWorkers: options.maxWorkers ?? 5,
      execute: () => Effect.die("not implemented")
    })
  })
