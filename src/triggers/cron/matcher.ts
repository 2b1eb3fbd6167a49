/**
 * The wall-clock side of the cron search: a cron spec compiled to bit masks, and field-wise
 * searches over wall-clock readings (ms since the epoch as if UTC, whole seconds).
 *
 * `firstMatch(w)` is the first matching wall reading >= w, `prevMatch(w)` the last one <= w: advance
 * (or step back) the first non-matching field, reset the lower fields, carry into the higher ones.
 * No minute-by-minute scanning. A spec that can never match is detected from the 28 kinds of
 * calendar year (weekday of 1 January, leap year, previous year leap: they fix month lengths,
 * weekdays and ISO week numbers), so impossible specs answer `-1` at once.
 *
 * @internal
 */
import {
  civilFromDays,
  classRepresentatives,
  count60Below,
  DAY_MS,
  daysFromCivil,
  daysInMonth,
  has60,
  isoWeek,
  isoWeeksInYear,
  next60,
  nextBit,
  popcount,
  prev60,
  prevBit,
  weekdayOf,
  yearClass
} from "./calendar.js"
import type { Expr } from "./expressions.js"

const ALL_HOURS = 0xffffff
const ALL_DOW = 0x7f
const ALL_DAYS = 0x7fffffff
/** Bits 0, 7, 14, 21, 28: one weekday of a month. */
const WEEKLY = 0x10204081

/** The parsed fields a matcher is built from (expressions as APScheduler compiles them). */
export interface MatcherFields {
  readonly year: ReadonlyArray<Expr>
  readonly month: ReadonlyArray<Expr>
  readonly day: ReadonlyArray<Expr>
  readonly week: ReadonlyArray<Expr>
  readonly dayOfWeek: ReadonlyArray<Expr>
  readonly hour: ReadonlyArray<Expr>
  readonly minute: ReadonlyArray<Expr>
  readonly second: ReadonlyArray<Expr>
  /** Vixie-cron mode: a day matches when `day` OR `dayOfWeek` does. */
  readonly dayOr: boolean
}

/** The values of a field with a fixed range as a list (expressions `all`, `range`, names). */
const values = (exprs: ReadonlyArray<Expr>, min: number, max: number): Array<number> => {
  const out: Array<number> = []
  for (const e of exprs) {
    let first: number
    let last: number
    let step = 1
    switch (e.kind) {
      case "all":
        first = min
        last = max
        step = e.step || 1
        break
      case "range":
        first = Math.max(min, e.first)
        last = e.last === undefined ? max : Math.min(max, e.last)
        step = e.step || 1
        break
      case "month":
      case "weekday":
        first = e.first
        last = e.last
        break
      default:
        continue
    }
    for (let v = first; v <= last; v += step) out.push(v)
  }
  return out
}

const mask32 = (vals: ReadonlyArray<number>, shift: number): number => {
  let m = 0
  for (const v of vals) m |= 1 << (v - shift)
  return m
}

const mask60 = (vals: ReadonlyArray<number>, shift: number): [number, number] => {
  let lo = 0
  let hi = 0
  for (const v0 of vals) {
    const v = v0 - shift
    if (v < 30) lo |= 1 << v
    else hi |= 1 << (v - 30)
  }
  return [lo, hi]
}

/** A compiled cron matcher. Immutable but for small memo caches. */
export class Matcher {
  /** Year expressions as (first, last, step) triples; `null` = every year. */
  readonly years: Int32Array | null
  readonly monthMask: number
  /** Days 1..31 at bits 0..30 from the `all`/`range` expressions of `day` (clipped per month). */
  readonly dayBase: number
  /** `xth y` / `last y` expressions: option * 8 + weekday. */
  readonly dayPos: Int8Array | null
  readonly dayLast: boolean
  readonly weekLo: number
  readonly weekHi: number
  readonly weekAll: boolean
  readonly dowMask: number
  readonly dayOr: boolean
  readonly hourMask: number
  readonly minLo: number
  readonly minHi: number
  readonly secLo: number
  readonly secHi: number
  // memo: the day mask of the last month asked for
  #cy = -1
  #cm = 0
  #cmask = 0
  // memo: per year class, 0 unknown, 1 has a matching day, 2 has none
  #classes: Int8Array | undefined = undefined
  #never = false

  constructor(f: MatcherFields) {
    const years: Array<number> = []
    let everyYear = false
    for (const e of f.year) {
      if (e.kind === "all") {
        if (!e.step) everyYear = true
        years.push(1970, 9999, e.step || 1)
      } else if (e.kind === "range") {
        years.push(e.first, e.last === undefined ? 9999 : e.last, e.step || 1)
      }
    }
    this.years = everyYear ? null : Int32Array.from(years)
    this.monthMask = mask32(values(f.month, 1, 12), 0)
    this.dayBase = mask32(values(f.day, 1, 31), 1)
    const pos: Array<number> = []
    let last = false
    for (const e of f.day) {
      if (e.kind === "position") pos.push(e.option * 8 + e.weekday)
      else if (e.kind === "lastDay") last = true
    }
    this.dayPos = pos.length === 0 ? null : Int8Array.from(pos)
    this.dayLast = last
    const weeks = values(f.week, 1, 53)
    const [wlo, whi] = mask60(weeks, 1)
    this.weekLo = wlo
    this.weekHi = whi
    this.weekAll = weeks.length > 0 && new Set(weeks).size === 53
    this.dowMask = mask32(values(f.dayOfWeek, 0, 6), 0)
    // OR mode only when both day fields are restricted (Vixie cron); otherwise it is AND
    this.dayOr = f.dayOr && this.dayBase !== ALL_DAYS && this.dowMask !== ALL_DOW
    this.hourMask = mask32(values(f.hour, 0, 23), 0)
    const [mlo, mhi] = mask60(values(f.minute, 0, 59), 0)
    this.minLo = mlo
    this.minHi = mhi
    const [slo, shi] = mask60(values(f.second, 0, 59), 0)
    this.secLo = slo
    this.secHi = shi
  }

  /** Whether the hour field matches every hour (then overlaps follow elapsed time, DST rule 3). */
  get everyHour(): boolean {
    return this.hourMask === ALL_HOURS
  }

  yearMatches(y: number): boolean {
    const ys = this.years
    if (ys === null) return y >= 1970 && y <= 9999
    for (let i = 0; i < ys.length; i += 3) {
      const f = ys[i]!
      if (y >= f && y <= ys[i + 1]! && (y - f) % ys[i + 2]! === 0) return true
    }
    return false
  }

  /** The first year >= y of the year field, or -1. */
  nextYear(y: number): number {
    const ys = this.years
    if (ys === null) return y < 1970 ? 1970 : y > 9999 ? -1 : y
    let best = -1
    for (let i = 0; i < ys.length; i += 3) {
      const f = ys[i]!
      const st = ys[i + 2]!
      let v = y > f ? y : f
      v += (st - ((v - f) % st)) % st
      if (v <= ys[i + 1]! && (best < 0 || v < best)) best = v
    }
    return best
  }

  /** The last year <= y of the year field, or -1. */
  prevYear(y: number): number {
    const ys = this.years
    if (ys === null) return y > 9999 ? 9999 : y < 1970 ? -1 : y
    let best = -1
    for (let i = 0; i < ys.length; i += 3) {
      const f = ys[i]!
      let v = y < ys[i + 1]! ? y : ys[i + 1]!
      if (v < f) continue
      v -= (v - f) % ys[i + 2]!
      if (v > best) best = v
    }
    return best
  }

  /** Days of month (y, m) that match day, week and day_of_week: day d at bit d-1. */
  monthDays(y: number, m: number): number {
    if (y === this.#cy && m === this.#cm) return this.#cmask
    const dim = daysInMonth(y, m)
    const full = dim === 31 ? ALL_DAYS : (1 << dim) - 1
    let r: number
    if (this.dayBase === ALL_DAYS && this.dowMask === ALL_DOW && this.weekAll) {
      r = full
    } else {
      const z1 = daysFromCivil(y, m, 1)
      const wd1 = weekdayOf(z1)
      let day = this.dayBase & full
      if (this.dayLast) day |= 1 << (dim - 1)
      const pos = this.dayPos
      if (pos !== null) {
        for (let i = 0; i < pos.length; i++) {
          const option = pos[i]! >> 3
          const first = ((pos[i]! & 7) - wd1 + 7) % 7 + 1
          const target = option < 5 ? first + option * 7 : first + Math.floor((dim - first) / 7) * 7
          if (target <= dim) day |= 1 << (target - 1)
        }
      }
      let dow = full
      if (this.dowMask !== ALL_DOW) {
        dow = 0
        for (let k = 0; k < 7; k++) if ((this.dowMask >> ((wd1 + k) % 7)) & 1) dow |= WEEKLY << k
        dow &= full
      }
      r = this.dayOr ? (day | dow) & full : day & dow
      if (!this.weekAll && r !== 0) r &= this.#weekDays(y, m, wd1, dim)
    }
    this.#cy = y
    this.#cm = m
    this.#cmask = r
    return r
  }

  #weekDays(y: number, m: number, wd1: number, dim: number): number {
    let week = isoWeek(y, m, 1)
    const weeksThisYear = isoWeeksInYear(y)
    let r = 0
    for (let d = 1; d <= dim; d++) {
      if (d > 1 && (wd1 + d - 1) % 7 === 0) {
        week = m === 1 && week >= 52 ? 1 : week >= weeksThisYear ? 1 : week + 1
      }
      if (has60(this.weekLo, this.weekHi, week - 1)) r |= 1 << (d - 1)
    }
    return r
  }

  #yearHasDay(y: number): boolean {
    for (let m = 1; m <= 12; m++) if ((this.monthMask >> m) & 1 && this.monthDays(y, m) !== 0) return true
    return false
  }

  /** Whether year y has any matching day (memoised per year class). */
  #yearOk(y: number): boolean {
    let cls = this.#classes
    if (cls === undefined) cls = this.#classes = new Int8Array(28)
    const c = yearClass(y)
    if (cls[c] === 0) {
      cls[c] = this.#yearHasDay(y) ? 1 : 2
      if (cls[c] === 2) {
        // an empty year: find out once whether any year can match
        const reps = classRepresentatives()
        let any = false
        for (let k = 0; k < 28; k++) {
          if (reps[k]! < 0) continue
          if (cls[k] === 0) cls[k] = this.#yearHasDay(reps[k]!) ? 1 : 2
          if (cls[k] === 1) any = true
        }
        if (!any) this.#never = true
      }
    }
    return cls[c] === 1
  }

  /** Whether the spec can never match (known after a search met an empty year). */
  get never(): boolean {
    return this.#never
  }

  #nextGoodYear(y: number): number {
    for (let v = this.nextYear(y); v >= 0; v = this.nextYear(v + 1)) {
      if (this.#never || v > 9999) return -1
      if (this.#yearOk(v)) return v
    }
    return -1
  }

  #prevGoodYear(y: number): number {
    for (let v = this.prevYear(y); v >= 0; v = this.prevYear(v - 1)) {
      if (this.#never || v < 1970) return -1
      if (this.#yearOk(v)) return v
    }
    return -1
  }

  /** The first matching wall reading >= w (ms, rounded up to a second), or -1. */
  firstMatch(w: number): number {
    if (this.#never) return -1
    const secs = Math.ceil(w / 1000)
    let z = Math.floor(secs / 86400)
    let sod = secs - z * 86400
    const ymd = civilFromDays(z)
    let y = ymd >> 9
    let mo = (ymd >> 5) & 15
    let d = ymd & 31
    let h = (sod / 3600) | 0
    let mi = ((sod / 60) | 0) % 60
    let s = sod % 60
    if (y > 9999) return -1
    const y0 = this.nextYear(y)
    if (y0 < 0) return -1
    if (y0 !== y) {
      y = this.#nextGoodYear(y0)
      if (y < 0) return -1
      mo = 1
      d = 1
      h = mi = s = 0
    }
    for (;;) {
      const nm = nextBit(this.monthMask, mo)
      if (nm < 0) {
        y = this.#nextGoodYear(y + 1)
        if (y < 0) return -1
        mo = 1
        d = 1
        h = mi = s = 0
        continue
      }
      if (nm !== mo) {
        mo = nm
        d = 1
        h = mi = s = 0
      }
      const nd = nextBit(this.monthDays(y, mo), d - 1)
      if (nd < 0) {
        mo++
        d = 1
        h = mi = s = 0
        if (mo > 12) {
          y = this.#nextGoodYear(y + 1)
          if (y < 0) return -1
          mo = 1
        }
        continue
      }
      if (nd + 1 !== d) {
        d = nd + 1
        h = mi = s = 0
      }
      const nh = nextBit(this.hourMask, h)
      if (nh < 0) {
        d++
        h = mi = s = 0
        continue
      }
      if (nh !== h) {
        h = nh
        mi = s = 0
      }
      const nmi = next60(this.minLo, this.minHi, mi)
      if (nmi < 0) {
        h++
        mi = s = 0
        continue
      }
      if (nmi !== mi) {
        mi = nmi
        s = 0
      }
      const ns = next60(this.secLo, this.secHi, s)
      if (ns < 0) {
        mi++
        s = 0
        continue
      }
      z = daysFromCivil(y, mo, d)
      sod = h * 3600 + mi * 60 + ns
      return (z * 86400 + sod) * 1000
    }
  }

  /** The last matching wall reading <= w (ms, rounded down to a second), or -1. */
  prevMatch(w: number): number {
    if (this.#never) return -1
    const secs = Math.floor(w / 1000)
    let z = Math.floor(secs / 86400)
    let sod = secs - z * 86400
    const ymd = civilFromDays(z)
    let y = ymd >> 9
    let mo = (ymd >> 5) & 15
    let d = ymd & 31
    let h = (sod / 3600) | 0
    let mi = ((sod / 60) | 0) % 60
    let s = sod % 60
    if (y < 1970) return -1
    const y0 = this.prevYear(y)
    if (y0 < 0) return -1
    if (y0 !== y) {
      y = this.#prevGoodYear(y0)
      if (y < 0) return -1
      mo = 12
      d = 31
      h = 23
      mi = s = 59
    }
    for (;;) {
      const pm = prevBit(this.monthMask, mo)
      if (pm <= 0) {
        y = this.#prevGoodYear(y - 1)
        if (y < 0) return -1
        mo = 12
        d = 31
        h = 23
        mi = s = 59
        continue
      }
      if (pm !== mo) {
        mo = pm
        d = 31
        h = 23
        mi = s = 59
      }
      const pd = prevBit(this.monthDays(y, mo), d - 1)
      if (pd < 0) {
        mo--
        d = 31
        h = 23
        mi = s = 59
        if (mo < 1) {
          y = this.#prevGoodYear(y - 1)
          if (y < 0) return -1
          mo = 12
        }
        continue
      }
      if (pd + 1 !== d) {
        d = pd + 1
        h = 23
        mi = s = 59
      }
      const ph = prevBit(this.hourMask, h)
      if (ph < 0) {
        d--
        h = 23
        mi = s = 59
        continue
      }
      if (ph !== h) {
        h = ph
        mi = s = 59
      }
      const pmi = prev60(this.minLo, this.minHi, mi)
      if (pmi < 0) {
        h--
        mi = s = 59
        continue
      }
      if (pmi !== mi) {
        mi = pmi
        s = 59
      }
      const ps = prev60(this.secLo, this.secHi, s)
      if (ps < 0) {
        mi--
        s = 59
        continue
      }
      z = daysFromCivil(y, mo, d)
      sod = h * 3600 + mi * 60 + ps
      return (z * 86400 + sod) * 1000
    }
  }

  // --- counting -------------------------------------------------------------------------------

  /** Matching times of day per matching day. */
  get perDay(): number {
    return popcount(this.hourMask) * (popcount(this.minLo) + popcount(this.minHi)) *
      (popcount(this.secLo) + popcount(this.secHi))
  }

  /** Matching times of day strictly before second-of-day `sod` (0..86400). */
  timesBefore(sod: number): number {
    if (sod >= 86400) return this.perDay
    const h0 = (sod / 3600) | 0
    const rem = sod - h0 * 3600
    const m0 = (rem / 60) | 0
    const s0 = rem - m0 * 60
    const nSec = popcount(this.secLo) + popcount(this.secHi)
    const nMin = popcount(this.minLo) + popcount(this.minHi)
    let c = popcount(this.hourMask & ((1 << h0) - 1)) * nMin * nSec
    if ((this.hourMask >> h0) & 1) {
      c += count60Below(this.minLo, this.minHi, m0) * nSec
      if (has60(this.minLo, this.minHi, m0)) c += count60Below(this.secLo, this.secHi, s0)
    }
    return c
  }

  /** Whether day number z matches (year, month, day, week, day_of_week). */
  dayMatches(z: number): boolean {
    const ymd = civilFromDays(z)
    const y = ymd >> 9
    const mo = (ymd >> 5) & 15
    if (!((this.monthMask >> mo) & 1) || !this.yearMatches(y)) return false
    return ((this.monthDays(y, mo) >> ((ymd & 31) - 1)) & 1) === 1
  }

  /** Whether the time-of-day fields match second-of-day `sod`. */
  timeMatches(sod: number): boolean {
    const h = (sod / 3600) | 0
    const rem = sod - h * 3600
    const mi = (rem / 60) | 0
    return ((this.hourMask >> h) & 1) === 1 && has60(this.minLo, this.minHi, mi) &&
      has60(this.secLo, this.secHi, rem - mi * 60)
  }

  /** Whether wall reading w (whole seconds) matches. */
  matches(w: number): boolean {
    const secs = Math.floor(w / 1000)
    const z = Math.floor(secs / 86400)
    return this.timeMatches(secs - z * 86400) && this.dayMatches(z)
  }

  /** Matching days in [z1, z2] (day numbers, inclusive). */
  countDays(z1: number, z2: number): number {
    let total = 0
    let z = z1
    while (z <= z2) {
      const ymd = civilFromDays(z)
      const y = ymd >> 9
      const mo = (ymd >> 5) & 15
      const d = ymd & 31
      if (y > 9999) break
      if (!this.yearMatches(y)) {
        const ny = this.nextYear(y + 1)
        if (ny < 0) break
        z = daysFromCivil(ny, 1, 1)
        continue
      }
      const dim = daysInMonth(y, mo)
      const monthEnd = z - d + dim
      if ((this.monthMask >> mo) & 1) {
        const lastD = Math.min(dim, d + (z2 - z))
        const bits = this.monthDays(y, mo)
        const hiMask = lastD >= 31 ? -1 : (1 << lastD) - 1
        total += popcount(bits & hiMask & (-1 << (d - 1)))
      }
      z = monthEnd + 1
    }
    return total
  }

  /** Matching wall readings in [u, v) (ms). */
  countWalls(u: number, v: number): number {
    const a = Math.ceil(u / 1000)
    const b = Math.ceil(v / 1000)
    if (b <= a) return 0
    const za = Math.floor(a / 86400)
    const zb = Math.floor(b / 86400)
    const sa = a - za * 86400
    const sb = b - zb * 86400
    if (za === zb) return this.dayMatches(za) ? this.timesBefore(sb) - this.timesBefore(sa) : 0
    let c = 0
    if (this.dayMatches(za)) c += this.perDay - this.timesBefore(sa)
    if (sb > 0 && this.dayMatches(zb)) c += this.timesBefore(sb)
    if (zb - 1 >= za + 1) c += this.countDays(za + 1, zb - 1) * this.perDay
    return c
  }
}

export { DAY_MS }
