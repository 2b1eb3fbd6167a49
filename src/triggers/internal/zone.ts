/**
 * IANA time zones as integer arithmetic.
 *
 * A `Zone` answers "what is the UTC offset at this instant" and "which instant(s) does this wall
 * clock reading stand for" from a per-zone cache of UTC offset transitions: each calendar year of a
 * zone is read once through luxon/Intl (weekly samples, then a binary search to the second for each
 * change), after which every query is a lookup in a short sorted array. The last segment found is
 * remembered, so walking a chain of fire times mostly hits a one-comparison fast path, and
 * `nextTransition` reads the changes straight from that table (no probing or bisection by callers).
 *
 * A "wall" value is a wall-clock reading encoded as milliseconds since the epoch as if it were UTC
 * (`Date.UTC(y, m - 1, d, h, mi, s)`); an instant is `wall - offset`.
 *
 * Assumption (documented in ARCHITECTURE): offset changes of one zone are at least a week apart
 * and at most one change falls within any 48-hour window. Every zone in tzdata since 1970 obeys it.
 *
 * @internal
 */
import { IANAZone } from "luxon"

const DAY = 86_400_000
const WEEK = 7 * DAY

/** How a wall-clock reading maps onto instants. */
export interface WallResolution {
  /** `unique`: one instant; `gap`: the reading does not exist (spring forward); `overlap`: it exists twice. */
  readonly kind: "unique" | "gap" | "overlap"
  /** The first occurrence (for a gap: the reading shifted forward by the gap length). */
  readonly earlier: number
  /** The second occurrence (equal to `earlier` unless `kind` is `overlap`). */
  readonly later: number
}

/** A time zone with cached transitions. */
export interface Zone {
  readonly name: string
  /** UTC offset in milliseconds at `instant` (wall = instant + offset). */
  readonly offsetAt: (instant: number) => number
  /** The instant(s) a wall-clock reading stands for. */
  readonly resolve: (wall: number) => WallResolution
  /** `resolve(wall)`, picking one occurrence of an ambiguous reading. */
  readonly toInstant: (wall: number, prefer: "earlier" | "later") => number
  /** The first instant in (`after`, `limit`] at which the UTC offset changes, or `undefined`. */
  readonly nextTransition: (after: number, limit: number) => number | undefined
}

interface YearData {
  readonly start: number
  readonly end: number
  /** Instants at which the offset changes inside [start, end). */
  readonly at: ReadonlyArray<number>
  /** offsets[i] holds from at[i-1] (or start) to at[i] (or end). */
  readonly offsets: ReadonlyArray<number>
}

const yearOf = (instant: number): number => new Date(instant).getUTCFullYear()

class CachedZone implements Zone {
  readonly #iana: IANAZone
  readonly #years = new Map<number, YearData>()
  #segStart = 1
  #segEnd = 0
  #segOffset = 0

  constructor(readonly name: string, iana: IANAZone) {
    this.#iana = iana
  }

  #intl(instant: number): number {
    return this.#iana.offset(instant) * 60_000
  }

  #year(year: number): YearData {
    let data = this.#years.get(year)
    if (data === undefined) {
      data = this.#readYear(year)
      this.#years.set(year, data)
    }
    return data
  }

  #readYear(year: number): YearData {
    const start = Date.UTC(year, 0, 1)
    const end = Date.UTC(year + 1, 0, 1)
    const at: Array<number> = []
    const offsets: Array<number> = []
    let t = start
    let off = this.#intl(start)
    offsets.push(off)
    while (t < end) {
      const u = Math.min(t + WEEK, end)
      const offU = this.#intl(u)
      if (offU !== off) {
        // binary search for the first second at which the offset is offU
        let lo = t
        let hi = u
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000
          if (this.#intl(mid) === off) lo = mid
          else hi = mid
        }
        if (hi < end) {
          at.push(hi)
          offsets.push(offU)
        } else {
          // the change happens exactly at the next year's start: it belongs to that year
          offsets[offsets.length - 1] = off
        }
        off = offU
      }
      t = u
    }
    return { start, end, at, offsets }
  }

  offsetAt = (instant: number): number => {
    if (instant >= this.#segStart && instant < this.#segEnd) return this.#segOffset
    const data = this.#year(yearOf(instant))
    const at = data.at
    let i = 0
    while (i < at.length && instant >= at[i]!) i++
    this.#segStart = i === 0 ? data.start : at[i - 1]!
    this.#segEnd = i === at.length ? data.end : at[i]!
    this.#segOffset = data.offsets[i]!
    return this.#segOffset
  }

  resolve = (wall: number): WallResolution => {
    const before = this.offsetAt(wall - DAY)
    const after = this.offsetAt(wall + DAY)
    if (before === after) {
      const instant = wall - before
      return { kind: "unique", earlier: instant, later: instant }
    }
    const a = wall - before
    const b = wall - after
    const aValid = this.offsetAt(a) === before
    const bValid = this.offsetAt(b) === after
    if (aValid && bValid) {
      return a <= b ? { kind: "overlap", earlier: a, later: b } : { kind: "overlap", earlier: b, later: a }
    }
    if (aValid) return { kind: "unique", earlier: a, later: a }
    if (bValid) return { kind: "unique", earlier: b, later: b }
    // a gap: read the wall time with the offset from before the change (shifted by the gap length)
    return { kind: "gap", earlier: a, later: a }
  }

  toInstant = (wall: number, prefer: "earlier" | "later"): number => {
    const r = this.resolve(wall)
    return prefer === "earlier" ? r.earlier : r.later
  }

  nextTransition = (after: number, limit: number): number | undefined => {
    if (!(limit > after)) return undefined
    const lastYear = Math.min(yearOf(Math.min(limit, MAX_INSTANT)), 275_000)
    let previous: YearData | undefined
    for (let y = yearOf(after); y <= lastYear; y++) {
      const data = this.#year(y)
      // a change exactly at a year's start is the previous year's last offset giving way
      if (previous !== undefined && data.offsets[0] !== previous.offsets[previous.offsets.length - 1]) {
        return data.start > after && data.start <= limit ? data.start : undefined
      }
      for (const t of data.at) if (t > after) return t <= limit ? t : undefined
      previous = data
    }
    return undefined
  }
}

const MAX_INSTANT = 8.64e15

class FixedZone implements Zone {
  constructor(readonly name: string, readonly offset: number) {}
  offsetAt = (_instant: number): number => this.offset
  resolve = (wall: number): WallResolution => {
    const instant = wall - this.offset
    return { kind: "unique", earlier: instant, later: instant }
  }
  toInstant = (wall: number, _prefer: "earlier" | "later"): number => wall - this.offset
  nextTransition = (_after: number, _limit: number): number | undefined => undefined
}

const zones = new Map<string, Zone | null>()

const UTC_NAMES = new Set(["utc", "etc/utc", "etc/uct", "uct", "gmt", "etc/gmt", "zulu", "etc/zulu", "universal", "etc/universal", "greenwich", "etc/greenwich", "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "gmt0", "gmt+0", "gmt-0"])

/**
 * The zone named `name` (an IANA name), or `undefined` when no such zone exists. Cached per name.
 */
export const getZone = (name: string): Zone | undefined => {
  let zone = zones.get(name)
  if (zone === undefined) {
    zone = null
    if (typeof name === "string" && name.length > 0 && name.length < 64) {
      if (UTC_NAMES.has(name.toLowerCase())) zone = new FixedZone(name, 0)
      else if (IANAZone.isValidZone(name)) zone = new CachedZone(name, IANAZone.create(name))
    }
    zones.set(name, zone)
  }
  return zone ?? undefined
}

/**
 * A zone of a fixed UTC offset (in minutes), as given by an explicit `±HH:MM` in a date string.
 */
export const fixedZone = (offsetMinutes: number): Zone => {
  const name = `UTC${offsetMinutes >= 0 ? "+" : "-"}${String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, "0")}:${String(Math.abs(offsetMinutes) % 60).padStart(2, "0")}`
  let zone = zones.get(name)
  if (!zone) {
    zone = new FixedZone(name, offsetMinutes * 60_000)
    zones.set(name, zone)
  }
  return zone
}
