/**
 * The default executor: runs jobs as fibers in this process, at most `maxWorkers` at once (default
 * 10). Jobs may be synchronous functions, functions returning a `Promise`, or functions returning an
 * `Effect`; task references are resolved through the `TaskRegistry`. A synchronous function runs in
 * place in a worker fiber (no fiber of its own), whether the job holds it or a task reference names
 * it (a registered name, or an imported `"module:export"`).
 *
 * APScheduler: `ThreadPoolExecutor` / `AsyncIOExecutor` (aliases `default`, `threadpool`, `asyncio`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { EventBus } from "../events/EventBus.js"
import { isTaskRef } from "../job/TaskRef.js"
import { TaskRegistry } from "../job/TaskRegistry.js"
import { Executor } from "./Executor.js"
import { makeBase } from "./internal/base.js"
import { invoke } from "./internal/invoke.js"

/**
 * Options of the fiber executor.
 *
 * @since 0.1.0
 * @category models
 */
export interface FiberExecutorOptions {
  /** How many jobs run at once (default 10). APScheduler: `max_workers`. */
  readonly maxWorkers?: number | undefined
}

/**
 * The default `maxWorkers`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_WORKERS = 10

/**
 * Builds a fiber executor; its worker fibers live in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: FiberExecutorOptions = {}
): Effect.Effect<Executor["Type"], never, EventBus | TaskRegistry | Scope.Scope> =>
  Effect.gen(function*() {
    const registry = yield* TaskRegistry
    return yield* makeBase({
      maxWorkers: Math.max(1, Math.floor(options.maxWorkers ?? DEFAULT_MAX_WORKERS)),
      // a task reference known without waiting runs as a plain function does; only the first run
      // of a module not imported yet (or a reference that does not resolve) goes through `resolve`
      direct: (job) => (isTaskRef(job.task) ? registry.lookup(job.task) : job.task),
      execute: (job, context) =>
        isTaskRef(job.task)
          ? Effect.flatMap(registry.resolve(job.task), (fn) => invoke(fn, job.args, job.kwargs, context))
          : invoke(job.task, job.args, job.kwargs, context)
    })
  })

/**
 * A fiber executor layer (the `Executor` in context is the scheduler's `"default"` executor).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: FiberExecutorOptions = {}): Layer.Layer<Executor, never, EventBus | TaskRegistry> =>
  Layer.scoped(Executor, make(options))
