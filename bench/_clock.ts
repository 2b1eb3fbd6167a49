/**
 * The benches' clock for lateness: wall-clock ms with sub-ms resolution, on `Date.now()`'s time
 * line (which the scheduler's Clock and the floors' timers aim at), read as `performance.now()`
 * plus an offset. `calibrate()` sets the offset at the instant `Date.now()` ticks (exact to a few
 * µs); call it before every round: in a young process the two clocks drift apart by up to 3 ms
 * in the first few hundred ms, and an offset taken once at load time (`Date.now() −
 * performance.now()`, up to 1 ms off by truncation alone) shifted every lateness of a run by
 * the same unknown amount, which made the ratios of small percentiles meaningless.
 */
let offset = Date.now() - performance.now()

/** Re-aligns `nowMs` with `Date.now()` (spins until its next tick: at most 1 ms). */
export const calibrate = (): void => {
  const d0 = Date.now()
  let d = d0
  while (d === d0) d = Date.now()
  offset = d - performance.now()
}

/** The wall clock in ms with sub-ms resolution. */
export const nowMs = (): number => performance.now() + offset

/** The `q` quantile of `xs` (nearest rank, xs not modified). */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** Waits `ms` of real time (lets a young process's clocks settle before measuring). */
export const settle = (ms = 500): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
