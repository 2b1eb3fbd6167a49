import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type { JobFunction } from "../../job/Job.js"

const hasKeys = (o: object): boolean => {
  for (const _ in o) return true
  return false
}

/** Is the value a thenable? */
export const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  u !== null && typeof u === "object" && typeof (u as PromiseLike<unknown>).then === "function"

/** A job's result (plain value, promise or Effect) as an Effect. */
export const toEffect = (result: unknown): Effect.Effect<unknown, unknown> => {
  if (Effect.isEffect(result)) return result as Effect.Effect<unknown, unknown>
  if (isPromiseLike(result)) return Effect.tryPromise({ try: () => result, catch: (e) => e })
  return Effect.succeed(result)
}

/** Calls a job function; its result (value, promise or Effect) becomes an Effect. */
export const invoke = (
  fn: JobFunction,
  args: ReadonlyArray<unknown>,
  kwargs: Readonly<Record<string, unknown>>
): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    let result: unknown
    try {
      result = hasKeys(kwargs) ? fn(...args, kwargs) : fn(...args)
    } catch (error) {
      return Effect.fail(error)
    }
    return toEffect(result)
  })

/** The error of a failed run and its readable trace. */
export const describeFailure = (cause: Cause.Cause<unknown>): { exception: unknown; traceback: string } => {
  const exception = Cause.squash(cause)
  const traceback = exception instanceof Error && typeof exception.stack === "string"
    ? exception.stack
    : Cause.pretty(cause)
  return { exception, traceback }
}
