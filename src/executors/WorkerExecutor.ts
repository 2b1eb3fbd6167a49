/**
 * The worker-thread executor, for CPU-bound jobs: each run is sent to one of `maxWorkers` worker
 * threads (spawned on demand through `@effect/platform-node`'s worker manager, imported when the first
 * worker executor is built) as a task reference
 * `"module:export"` plus JSON-like arguments; the worker imports the module and calls the export.
 * A task that throws is a `JOB_ERROR`; a worker that crashes (exits, dies) is reported as a
 * `JOB_ERROR` with a `WorkerError` and replaced; an interrupted run (shutdown without waiting)
 * terminates its worker.
 *
 * APScheduler: `ProcessPoolExecutor` (alias `processpool`).
 *
 * @since 0.1.0
 */
import type * as PlatformWorker from "@effect/platform/Worker"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as WorkerThreads from "node:worker_threads"
import { TaskLookupError, WorkerError } from "../errors.js"
import { EventBus } from "../events/EventBus.js"
import type { Job } from "../job/Job.js"
import type { LazyRunContext } from "../job/JobContext.js"
import { isTaskRef, parseModuleRef } from "../job/TaskRef.js"
import { TaskRegistry } from "../job/TaskRegistry.js"
import type { Task } from "../job/Job.js"
import { Executor } from "./Executor.js"
import { makeBase } from "./internal/base.js"
import type { RunRequest, TaskFailure } from "./internal/workerProtocol.js"

/**
 * Options of the worker executor.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerExecutorOptions {
  /** How many worker threads (and concurrent runs) at most (default 5). APScheduler: `max_workers`. */
  readonly maxWorkers?: number | undefined
  /** Node options of the worker threads (default none). */
  readonly execArgv?: ReadonlyArray<string> | undefined
}

/**
 * The default `maxWorkers`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_WORKERS = 5

interface Handle {
  readonly worker: PlatformWorker.Worker<RunRequest, unknown, TaskFailure>
  readonly thread: WorkerThreads.Worker
  readonly scope: Scope.CloseableScope
}

const toError = (f: TaskFailure): Error => Object.assign(new Error(f.message), { name: f.name, stack: f.stack })

/**
 * Builds a worker executor; its threads live in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: WorkerExecutorOptions = {}
): Effect.Effect<Executor["Type"], never, EventBus | TaskRegistry | Scope.Scope> =>
  Effect.gen(function*() {
    const registry = yield* TaskRegistry
    const execArgv = [...(options.execArgv ?? [])]
    // from TypeScript sources, a bootstrap registers tsx in the thread first
    const entry = new URL(
      import.meta.url.endsWith(".ts") ? "./internal/workerBootstrap.mjs" : "./internal/workerMain.js",
      import.meta.url
    )
    // loaded only when a worker executor is built: importing the package stays light
    const [NodeWorker, Worker] = yield* Effect.orDie(Effect.tryPromise({
      try: () => Promise.all([import("@effect/platform-node/NodeWorker"), import("@effect/platform/Worker")]),
      catch: (cause) =>
        new WorkerError({ reason: `cannot load @effect/platform-node (the worker executor needs it installed): ${String(cause)}` })
    }))
    const manager = yield* Effect.provide(Worker.makeManager, NodeWorker.layerWorker)
    const threads = new Map<number, WorkerThreads.Worker>()
    const spawner: PlatformWorker.SpawnerFn = (id) => {
      const thread = new WorkerThreads.Worker(entry, { execArgv })
      threads.set(id, thread)
      return thread
    }
    const idle: Array<Handle> = []
    const all = new Set<Handle>()

    const spawn = Effect.gen(function*() {
      const scope = yield* Scope.make()
      const exit = yield* manager.spawn<RunRequest, unknown, TaskFailure>({}).pipe(
        Scope.extend(scope),
        Effect.provideService(Worker.Spawner, spawner),
        Effect.exit
      )
      if (Exit.isFailure(exit)) {
        yield* Scope.close(scope, Exit.void)
        return yield* new WorkerError({ reason: `cannot start a worker thread: ${String(exit.cause)}` })
      }
      const handle: Handle = { worker: exit.value, thread: threads.get(exit.value.id)!, scope }
      threads.delete(exit.value.id)
      all.add(handle)
      return handle
    })

    const destroy = (handle: Handle) =>
      Effect.suspend(() => {
        all.delete(handle)
        void handle.thread.terminate()
        return Scope.close(handle.scope, Exit.void)
      })

    const acquire = Effect.suspend(() => {
      const handle = idle.pop()
      return handle !== undefined ? Effect.succeed(handle) : spawn
    })

    /** Only `"module:export"` references, imported in the thread as by the `TaskRegistry`. */
    const refusal = (task: Task): string | undefined => {
      if (!isTaskRef(task)) {
        return "a function cannot be sent to a worker thread: give a \"module:export\" task reference"
      }
      if (parseModuleRef(task.ref) === undefined) {
        return "the worker executor runs \"module:export\" task references only (a registered name lives in this thread)"
      }
      if (!registry.allowImports) return "module references are not allowed (allowImports is off)"
      return undefined
    }

    const execute = (job: Job, context: LazyRunContext): Effect.Effect<unknown, unknown> => {
      const refused = refusal(job.task)
      if (refused !== undefined || !isTaskRef(job.task)) {
        return Effect.fail(
          new TaskLookupError({ task: isTaskRef(job.task) ? job.task.ref : job.name, reason: refused ?? "", jobId: job.id })
        )
      }
      const request: RunRequest = {
        task: job.task.ref,
        args: job.args,
        kwargs: job.kwargs,
        context: { jobId: context.jobId, scheduledTime: context.scheduledTime, fence: context.fence, attempt: context.attempt }
      }
      return Effect.acquireUseRelease(
        acquire,
        (handle) =>
          handle.worker.executeEffect(request).pipe(
            Effect.mapError((e): unknown =>
              (e as { _tag?: string })._tag === "WorkerError"
                ? new WorkerError({ reason: `worker thread failed: ${String((e as { cause?: unknown }).cause ?? e)}` })
                : toError(e as TaskFailure)
            )
          ),
        (handle, exit) => {
          const healthy = Exit.isSuccess(exit) ||
            (exit.cause._tag === "Fail" && !(exit.cause.error instanceof WorkerError))
          return healthy ? Effect.sync(() => void idle.push(handle)) : destroy(handle)
        }
      )
    }

    yield* Effect.addFinalizer(() => Effect.forEach([...all], destroy, { discard: true }))

    const base = yield* makeBase({
      maxWorkers: Math.max(1, Math.floor(options.maxWorkers ?? DEFAULT_MAX_WORKERS)),
      execute
    })
    return Executor.of({ ...base, refusal })
  })

/**
 * A worker executor layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: WorkerExecutorOptions = {}): Layer.Layer<Executor, never, EventBus | TaskRegistry> =>
  Layer.scoped(Executor, make(options))
