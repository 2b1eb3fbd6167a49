/**
 * Task references: the serializable name of a job's callable. Persistent stores and worker
 * executors never hold code, only a reference that is resolved through the `TaskRegistry` (a
 * registered name) or, when the registry allows it, by import (`"module:export"`).
 *
 * APScheduler: the `func` textual reference (`"package.module:function"`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

/**
 * A reference to a task by name (`"sendReport"`) or by module and export (`"./tasks.js:report"`).
 *
 * @since 0.1.0
 * @category models
 */
export class TaskRef extends Schema.TaggedClass<TaskRef>()("TaskRef", {
  ref: Schema.NonEmptyTrimmedString
}) {
  /** The reference text. */
  override toString(): string {
    return this.ref
  }
}

/**
 * Builds a task reference.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (ref: string): TaskRef => new TaskRef({ ref })

/**
 * Is the value a {@link TaskRef}?
 *
 * @since 0.1.0
 * @category guards
 */
export const isTaskRef = (u: unknown): u is TaskRef => u instanceof TaskRef

/**
 * Splits a `"module:export"` reference; `undefined` for a plain registered name.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseModuleRef = (ref: string): { readonly module: string; readonly exportName: string } | undefined => {
  const i = ref.lastIndexOf(":")
  if (i <= 0 || i === ref.length - 1) return undefined
  // Windows drive letters ("C:\\x") are not module references.
  if (i === 1 && /^[A-Za-z]$/.test(ref[0]!)) return undefined
  return { module: ref.slice(0, i), exportName: ref.slice(i + 1) }
}

/**
 * The import specifier of a reference's module, the same in the scheduler's thread and in worker
 * threads: a path (`./tasks.js`, `../x.js`, `/abs/tasks.js`) is resolved against the working
 * directory of the process and imported by file URL; anything else (a package name, a URL) is
 * imported as written.
 *
 * @since 0.1.0
 * @category utils
 */
export const moduleSpecifier = (module: string): string =>
  module.startsWith(".") || path.isAbsolute(module) ? pathToFileURL(path.resolve(module)).href : module
