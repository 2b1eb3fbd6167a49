/**
 * The registry that resolves task references to functions.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { TaskLookupError } from "../errors.js"
import type { JobFunction } from "./Job.js"
import { moduleSpecifier, parseModuleRef, type TaskRef } from "./TaskRef.js"

/**
 * Resolves task references (`TaskRef`) to functions: names registered with `register`, and
 * `"module:export"` references by dynamic import when `allowImports` is on.
 *
 * @since 0.1.0
 * @category tags
 */
export class TaskRegistry extends Context.Tag("effect-apscheduler/TaskRegistry")<TaskRegistry, {
  /** Registers (or replaces) a task under a name. */
  readonly register: (name: string, fn: JobFunction) => Effect.Effect<void>
  /** Resolves a reference to its function. */
  readonly resolve: (ref: TaskRef | string) => Effect.Effect<JobFunction, TaskLookupError>
  /** Is the reference resolvable without importing anything (a registered name)? */
  readonly has: (ref: TaskRef | string) => boolean
  /** Does the registry import `"module:export"` references? */
  readonly allowImports: boolean
}>() {}

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskRegistryOptions {
  /** Tasks registered from the start. */
  readonly tasks?: Readonly<Record<string, JobFunction>>
  /** Resolve `"module:export"` references by `import()` (default false). */
  readonly allowImports?: boolean
}

/**
 * Builds a registry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: TaskRegistryOptions = {}): Effect.Effect<TaskRegistry["Type"]> =>
  Effect.sync(() => {
    const tasks = new Map<string, JobFunction>(Object.entries(options.tasks ?? {}))
    const allowImports = options.allowImports ?? false
    const refText = (ref: TaskRef | string) => (typeof ref === "string" ? ref : ref.ref)
    return TaskRegistry.of({
      allowImports,
      register: (name, fn) => Effect.sync(() => void tasks.set(name, fn)),
      has: (ref) => tasks.has(refText(ref)),
      resolve: (ref) =>
        Effect.suspend(() => {
          const text = refText(ref)
          const fn = tasks.get(text)
          if (fn !== undefined) return Effect.succeed(fn)
          const parsed = parseModuleRef(text)
          if (parsed === undefined) {
            return Effect.fail(new TaskLookupError({ task: text, reason: "no task is registered under this name" }))
          }
          if (!allowImports) {
            return Effect.fail(
              new TaskLookupError({ task: text, reason: "module references are not allowed (allowImports is off)" })
            )
          }
          return Effect.tryPromise({
            try: () => import(moduleSpecifier(parsed.module)) as Promise<Record<string, unknown>>,
            catch: (e) => new TaskLookupError({ task: text, reason: `import failed: ${String(e)}` })
          }).pipe(
            Effect.flatMap((mod) => {
              const value = mod[parsed.exportName]
              return typeof value === "function"
                ? Effect.succeed(value as JobFunction)
                : Effect.fail(
                  new TaskLookupError({ task: text, reason: `module has no function export '${parsed.exportName}'` })
                )
            })
          )
        })
    })
  })

/**
 * A registry layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: TaskRegistryOptions = {}): Layer.Layer<TaskRegistry> =>
  Layer.effect(TaskRegistry, make(options))
