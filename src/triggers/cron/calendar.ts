/**
 * Proleptic Gregorian calendar arithmetic on integers (days since 1970-01-01), no `Date`.
 *
 * @internal
 */

export const DAY_MS = 86_400_000

/** Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`). */
export const daysFromCivil = (y: number, m: number, d: number): number => {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The civil date of a day number, packed as `(year << 9) | (month << 5) | day`. */
export const civilFromDays = (days: number): number => {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return (y << 9) | (m << 5) | d
}

export const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

export const daysInMonth = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31

/** Weekday of a day number, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export const weekdayOf = (days: number): number => (((days + 3) % 7) + 7) % 7

const p = (y: number): number => (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) % 7

/** Number of ISO weeks (52 or 53) of ISO year `y`. */
export const isoWeeksInYear = (y: number): number => (p(y) === 4 || p(y - 1) === 3 ? 53 : 52)

/** ISO week number (1–53) of a civil date (Python's `date.isocalendar()[1]`). */
export const isoWeek = (y: number, m: number, d: number): number => {
  const z = daysFromCivil(y, m, d)
  const doy = z - daysFromCivil(y, 1, 1) + 1
  const wd = weekdayOf(z) + 1
  const w = Math.floor((doy - wd + 10) / 7)
  if (w < 1) return isoWeeksInYear(y - 1)
  if (w > isoWeeksInYear(y)) return 1
  return w
}

/** 0..27: what a year's calendar looks like (weekday of 1 January, leap year, previous year leap). */
export const yearClass = (y: number): number =>
  weekdayOf(daysFromCivil(y, 1, 1)) * 4 + (isLeap(y) ? 2 : 0) + (isLeap(y - 1) ? 1 : 0)

let representatives: ReadonlyArray<number> | undefined

/** One year (1971–2400) of each year class that exists, indexed by class (-1 when none). */
export const classRepresentatives = (): ReadonlyArray<number> => {
  if (representatives === undefined) {
    const reps = new Array<number>(28).fill(-1)
    for (let y = 1971; y <= 2400; y++) {
      const c = yearClass(y)
      if (reps[c] === -1) reps[c] = y
    }
    representatives = reps
  }
  return representatives
}

// --- bit masks ------------------------------------------------------------------------------

/** Lowest set bit of `mask` at index >= `from` (0..31), or -1. */
export const nextBit = (mask: number, from: number): number => {
  if (from > 31) return -1
  const m = mask & (-1 << from)
  return m === 0 ? -1 : 31 - Math.clz32(m & -m)
}

/** Highest set bit of `mask` at index <= `upTo`, or -1. */
export const prevBit = (mask: number, upTo: number): number => {
  if (upTo < 0) return -1
  const m = upTo >= 31 ? mask : mask & ((1 << (upTo + 1)) - 1)
  return m === 0 ? -1 : 31 - Math.clz32(m)
}

/** 60-bit masks are two 30-bit halves (`lo`: bits 0..29, `hi`: bits 30..59). */
export const next60 = (lo: number, hi: number, from: number): number => {
  if (from < 30) {
    const r = nextBit(lo, from)
    if (r >= 0) return r
    const q = nextBit(hi, 0)
    return q < 0 ? -1 : q + 30
  }
  const q = nextBit(hi, from - 30)
  return q < 0 ? -1 : q + 30
}

export const prev60 = (lo: number, hi: number, upTo: number): number => {
  if (upTo >= 30) {
    const q = prevBit(hi, upTo - 30)
    if (q >= 0) return q + 30
    return prevBit(lo, 29)
  }
  return prevBit(lo, upTo)
}

export const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** Number of set bits below index `n` of a 60-bit mask. */
export const count60Below = (lo: number, hi: number, n: number): number =>
  n <= 30 ? popcount(lo & ((1 << n) - 1)) : popcount(lo) + popcount(hi & ((1 << (n - 30)) - 1))

/** Bit `i` of a 60-bit mask. */
export const has60 = (lo: number, hi: number, i: number): boolean => (i < 30 ? (lo >> i) & 1 : (hi >> (i - 30)) & 1) === 1
