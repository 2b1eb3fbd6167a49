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
  /**
   * Resolves a reference to its function: a registered name, or a `"module:export"` reference by
   * import when `allowImports` is on (once: the imported module is kept, see `lookup`).
   */
  readonly resolve: (ref: TaskRef | string) => Effect.Effect<JobFunction, TaskLookupError>
  /**
   * The reference's function when it is known without waiting: a registered name, or a
   * `"module:export"` reference whose module an earlier `resolve` imported (the export is read
   * from the module at each call, as `resolve` reads it). `undefined` otherwise — a module not
   * imported yet, or a reference that does not resolve: `resolve` then imports it or fails with
   * its `TaskLookupError`.
   */
  readonly lookup: (ref: TaskRef | string) => JobFunction | undefined
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
    // module references imported by `resolve`: the module's namespace and the export's name
    const imported = new Map<string, { readonly module: Record<string, unknown>; readonly exportName: string }>()
    const refText = (ref: TaskRef | string) => (typeof ref === "string" ? ref : ref.ref)
    const lookup = (ref: TaskRef | string): JobFunction | undefined => {
      const text = refText(ref)
      const fn = tasks.get(text)
      if (fn !== undefined) return fn
      const entry = imported.get(text)
      if (entry === undefined) return undefined
      const value = entry.module[entry.exportName]
      return typeof value === "function" ? value as JobFunction : undefined
    }
    return TaskRegistry.of({
      allowImports,
      register: (name, fn) => Effect.sync(() => void tasks.set(name, fn)),
      has: (ref) => tasks.has(refText(ref)),
      lookup,
      resolve: (ref) =>
        Effect.suspend(() => {
          const fn = lookup(ref)
          if (fn !== undefined) return Effect.succeed(fn)
          const text = refText(ref)
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
              if (typeof value !== "function") {
                return Effect.fail(
                  new TaskLookupError({ task: text, reason: `module has no function export '${parsed.exportName}'` })
                )
              }
              imported.set(text, { module: mod, exportName: parsed.exportName })
              return Effect.succeed(value as JobFunction)
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
