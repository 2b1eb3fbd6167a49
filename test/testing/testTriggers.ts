/**
 * Test-only compiled triggers with the `CompiledTrigger` contract (interval-like and one-shot),
 * independent of the trigger compiler.
 */
import type { CompiledTrigger, FastForward, Instant } from "../../src/triggers/Trigger.js"
import { applyJitter } from "../../src/triggers/Trigger.js"

/** Fires every `seconds` from `start` (optionally until `end`), like an interval trigger. */
export const every = (
  seconds: number,
  start: Instant,
  options: { readonly end?: Instant; readonly jitter?: number } = {}
): CompiledTrigger => {
  const step = seconds * 1000
  const end = options.end ?? Infinity
  const ceilFrom = (now: Instant) => (now <= start ? start : start + Math.ceil((now - start) / step) * step)
  const clip = (t: Instant): Instant | undefined => (t <= end ? t : undefined)
  const spec = {
    type: "interval",
    seconds,
    startDate: new Date(start).toISOString(),
    ...(options.end !== undefined ? { endDate: new Date(options.end).toISOString() } : {}),
    ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
    timezone: "UTC"
  }
  return {
    spec,
    timezone: "UTC",
    jitter: options.jitter,
    next: (previous, now, jitterSample) =>
      applyJitter(clip(previous === undefined ? ceilFrom(now) : previous + step), options.jitter, jitterSample),
    fastForward: (previous, target): FastForward => {
      const first = previous + step
      if (first >= target) return { count: 0, last: undefined, next: clip(first) }
      const n = Math.ceil((target - first) / step) // values first + k*step < target, k in [0, n)
      const lastT = first + (n - 1) * step
      if (lastT > end) {
        const m = Math.floor((end - first) / step) + 1
        return { count: Math.max(m, 0), last: m > 0 ? first + (m - 1) * step : undefined, next: undefined }
      }
      return { count: n, last: lastT, next: clip(first + n * step) }
    },
    toString: () => `interval[0:00:${seconds}]`
  }
}

/** Fires once at `at`. */
export const once = (at: Instant): CompiledTrigger => ({
  spec: { type: "date", runDate: new Date(at).toISOString(), timezone: "UTC" } as { readonly type: string },
  timezone: "UTC",
  jitter: undefined,
  next: (previous) => (previous === undefined ? at : undefined),
  fastForward: (previous, target) => ({ count: 0, last: undefined, next: previous < at && at >= target ? at : undefined }),
  toString: () => `date[${new Date(at).toISOString()}]`
})
