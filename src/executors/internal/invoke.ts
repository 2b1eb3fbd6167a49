import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { type RunContext, runSync, runWith } from "../../job/JobContext.js"
import type { JobFunction } from "../../job/Job.js"

const hasKeys = (o: object): boolean => {
  for (const _ in o) return true
  return false
}

/** Is the value a thenable? */
export const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  u !== null && typeof u === "object" && typeof (u as PromiseLike<unknown>).then === "function"

/** A job's result that is an Effect or a promise, as an Effect (anything else: a success). */
export const toEffect = (result: unknown): Effect.Effect<unknown, unknown> => {
  if (Effect.isEffect(result)) return result as Effect.Effect<unknown, unknown>
  if (isPromiseLike(result)) return Effect.tryPromise({ try: () => result, catch: (e) => e })
  return Effect.succeed(result)
}

/** The constructor of `async function`s (bound ones too are its instances). */
const AsyncFunction = (async () => {}).constructor

/**
 * Calls a job function with its arguments (the kwargs object last, when it has keys), in its run
 * context: an `async function` keeps it after its `await`s (`runWith`), any other function has it
 * in its synchronous part (`runSync`, no async hooks).
 */
export const call = (
  fn: JobFunction,
  args: ReadonlyArray<unknown>,
  kwargs: Readonly<Record<string, unknown>>,
  context: RunContext
): unknown => {
  const f = () => (hasKeys(kwargs) ? fn(...args, kwargs) : fn(...args))
  return fn instanceof AsyncFunction ? runWith(context, f) : runSync(context, f)
}

/** {@link call} as an Effect: its result (value, promise or Effect) becomes the Effect's. */
export const invoke = (
  fn: JobFunction,
  args: ReadonlyArray<unknown>,
  kwargs: Readonly<Record<string, unknown>>,
  context: RunContext
): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    let result: unknown
    try {
      result = call(fn, args, kwargs, context)
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
