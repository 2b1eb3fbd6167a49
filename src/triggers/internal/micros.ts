/**
 * Whole-microsecond arithmetic, as APScheduler does it with `datetime` and `timedelta`.
 *
 * Instants are epoch milliseconds (`number`); one that carries microseconds holds them as a
 * fraction (`us / 1000`, the nearest double). Until the year 2248 (2^43 ms) a double's spacing
 * there is below 0.25 µs, so `toMicros(toMillis(us)) === us` and comparing instants compares their
 * microseconds; later instants are the nearest double to their microsecond value.
 *
 * @internal
 */

/** The whole number of microseconds an instant stands for. */
export const toMicros = (instant: number): number => Math.round(instant * 1000)

/** The instant (epoch ms, the nearest double) of a whole number of microseconds. */
export const toMillis = (micros: number): number => micros / 1000

/**
 * `a + b * n` for integers, exactly (through BigInt when a partial result leaves the safe-integer
 * range), rounded once to a double. Non-finite input gives the plain double result.
 */
export const addMul = (a: number, b: number, n: number): number => {
  const p = b * n
  const r = a + p
  if (Number.isSafeInteger(p) && Number.isSafeInteger(r)) return r
  if (!Number.isFinite(r) || !Number.isInteger(a) || !Number.isInteger(b) || !Number.isInteger(n)) return r
  return Number(BigInt(a) + BigInt(b) * BigInt(n))
}

/**
 * APScheduler's `timedelta_seconds` of a duration of `micros` microseconds: Python normalises the
 * timedelta into whole seconds and microseconds (0..999999), then computes
 * `days * 86400 + seconds + microseconds / 1000000.0` in floating point.
 */
export const timedeltaSeconds = (micros: number): number => {
  const us = ((micros % 1e6) + 1e6) % 1e6
  return (micros - us) / 1e6 + us / 1e6
}

/** The fields Python's `timedelta(...)` constructor takes that interval triggers use. */
export interface TimedeltaParts {
  readonly weeks?: number | undefined
  readonly days?: number | undefined
  readonly hours?: number | undefined
  readonly minutes?: number | undefined
  readonly seconds?: number | undefined
}

const FACTORS: ReadonlyArray<readonly [keyof TimedeltaParts, bigint, number]> = [
  ["seconds", 1_000_000n, 1e6],
  ["minutes", 60_000_000n, 6e7],
  ["hours", 3_600_000_000n, 3.6e9],
  ["days", 86_400_000_000n, 8.64e10],
  ["weeks", 604_800_000_000n, 6.048e11]
]

/**
 * The whole microseconds of `timedelta(weeks=…, days=…, hours=…, minutes=…, seconds=…)` exactly as
 * CPython's constructor computes them (`delta_new` / `accum`): each field's integer part exactly,
 * its fraction times the unit in floating point, the fractions' leftovers summed and rounded once,
 * half to even (`timedelta(days=1, seconds=2.5e-6)` is 86,400,000,002 µs). Fields must be finite
 * and non-negative.
 */
export const timedeltaMicros = (parts: TimedeltaParts): bigint => {
  let x = 0n
  let leftover = 0
  for (const [key, factor, dfactor] of FACTORS) {
    const v = parts[key]
    if (v === undefined || v === 0) continue
    const intpart = Math.trunc(v)
    const frac = v - intpart
    x += BigInt(intpart) * factor
    if (frac === 0) continue
    const dnum = dfactor * frac
    const whole = Math.trunc(dnum)
    x += BigInt(whole)
    leftover += dnum - whole
  }
  if (leftover !== 0) {
    // C round(): half away from zero (leftover >= 0 here, so Math.round agrees), then half-to-even
    let whole = Math.round(leftover)
    if (Math.abs(whole - leftover) === 0.5) {
      const odd = (x & 1n) === 1n ? 1 : 0
      whole = 2 * Math.round((leftover + odd) * 0.5) - odd
    }
    x += BigInt(whole)
  }
  return x
}
