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

/** Which occurrence of an ambiguous wall-clock reading to take. */
export type Occurrence = "earlier" | "later" | "standard"

/** A time zone with cached transitions. */
export interface Zone {
  readonly name: string
  /** UTC offset in milliseconds at `instant` (wall = instant + offset). */
  readonly offsetAt: (instant: number) => number
  /** The instant(s) a wall-clock reading stands for. */
  readonly resolve: (wall: number) => WallResolution
  /**
   * `resolve(wall)`, picking one occurrence of an ambiguous reading: the earlier, the later, or
   * the standard-time one (`"standard"`: the occurrence whose DST offset is zero in tzdata, as pytz
   * `localize(is_dst=False)` picks it; see `standardIsEarlier`).
   */
  readonly toInstant: (wall: number, prefer: Occurrence) => number
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

  toInstant = (wall: number, prefer: Occurrence): number => {
    const r = this.resolve(wall)
    if (r.kind !== "overlap" || prefer === "earlier") return r.earlier
    if (prefer === "later") return r.later
    // the fall-back change lies in (earlier, later]
    const x = this.nextTransition(r.earlier, r.later) ?? r.later
    return standardIsEarlier(this.name, x) ? r.earlier : r.later
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

/**
 * Where tzdata (main format, which pytz reads) flags the *smaller* offset of a fall-back change as
 * DST and the larger one as standard time ("negative DST"). Keys are lower-case zone names (links
 * included); each range holds, inclusive, the UTC instants of the fall-back changes that go from a
 * standard-time offset into such a DST offset. Taken from Debian's tzdata 2025b compiled files (the
 * data the conformance vectors were made with: every change to a smaller offset whose type has
 * isdst=1 while the previous type has isdst=0): rules Eire (Dublin, October, since 1971), Namibia
 * (Windhoek, April, 1994–2017), Morocco (Ramadan, since 2019), Czech (Prague, December 1946), and the
 * 1941 changes from Moscow time to German summer time in the occupied west of the Soviet Union.
 *
 * Intl (and so luxon) exposes offsets only, never tzdata's DST flag, and no rule on offsets can
 * recover it: Europe/London and Europe/Dublin have had identical offsets since 1971, yet London's
 * winter GMT is standard time while Dublin's is DST. luxon's `isInDST` (offset above January's or
 * May's) calls Dublin's summer DST and Casablanca's Ramadan offset standard: the opposite of pytz.
 */
const NEGATIVE_DST: ReadonlyMap<string, readonly [from: number, to: number]> = (() => {
  const forever = (from: number) => [from, Infinity] as const
  const once = (at: number) => [at, at] as const
  const dublin = forever(Date.UTC(1971, 9, 31, 2))
  const morocco = forever(Date.UTC(2018, 9, 28, 2))
  const prague = once(Date.UTC(1946, 11, 1, 2))
  const kyiv = once(Date.UTC(1941, 8, 19, 21))
  return new Map<string, readonly [number, number]>([
    ["europe/dublin", dublin],
    ["eire", dublin],
    ["africa/windhoek", [Date.UTC(1994, 2, 20, 22), Date.UTC(2017, 3, 2)]],
    ["africa/casablanca", morocco],
    ["africa/el_aaiun", morocco],
    ["europe/prague", prague],
    ["europe/bratislava", prague],
    ["europe/kyiv", kyiv],
    ["europe/kiev", kyiv],
    ["europe/uzhgorod", kyiv],
    ["europe/zaporozhye", kyiv],
    ["europe/minsk", once(Date.UTC(1941, 5, 27, 21))],
    ["europe/riga", once(Date.UTC(1941, 5, 30, 21))],
    ["europe/simferopol", once(Date.UTC(1941, 9, 31, 21))],
    ["europe/tallinn", once(Date.UTC(1941, 8, 14, 21))],
    ["europe/vilnius", once(Date.UTC(1941, 5, 23, 21))]
  ])
})()

/**
 * Whether the standard-time occurrence of a wall time made ambiguous by the fall-back change at
 * instant `change` is the earlier one. pytz `localize(is_dst=False)` takes the occurrence whose DST
 * offset is zero, falling back to the later one when both (or neither) are: so the earlier one
 * exactly when the change goes from standard time into DST, which only negative DST does.
 */
export const standardIsEarlier = (zoneName: string, change: number): boolean => {
  const range = NEGATIVE_DST.get(zoneName.toLowerCase())
  return range !== undefined && change >= range[0] && change <= range[1]
}

class FixedZone implements Zone {
  constructor(readonly name: string, readonly offset: number) {}
  offsetAt = (_instant: number): number => this.offset
  resolve = (wall: number): WallResolution => {
    const instant = wall - this.offset
    return { kind: "unique", earlier: instant, later: instant }
  }
  toInstant = (wall: number, _prefer: Occurrence): number => wall - this.offset
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
