/**
 * The cron search in instant space: wall-clock matches (see `matcher.ts`) turned into instants
 * with the trigger's `Zone`, by integer arithmetic.
 *
 * DST decisions (ARCHITECTURE §1, rules 1–6):
 *
 * 1. Gap (spring forward): if the hour field is restricted (does not match all 24 hours), a
 *    matching wall time that does not exist fires at that wall time shifted forward by the gap
 *    length (it is read with the offset from before the change): New York `30 2 * * *` on
 *    2024-03-10 fires at 03:30 EDT; Sao Paulo `30 0 * * *` on 2018-11-04 (gap at midnight) fires
 *    at 01:30 (APScheduler skips that day). When the shifted time is also a real matching time
 *    (`0 2,3 * * *`), the job fires once. If the hour field matches every hour, the job follows
 *    elapsed time as in rule 3: it fires at the real matching times only (Lord Howe, 30-minute
 *    gap 02:00→02:30, `minute=0` fires 01:00, 03:00 — not 02:30; APScheduler agrees). With a
 *    whole-hour gap both readings give the same fire times.
 * 2. The day after a gap is never skipped: the fire times are exactly the set defined here,
 *    searched field by field in wall-clock space, so every real, unambiguous matching time fires
 *    (APScheduler's `matching_time_skipped` bug does not exist here).
 * 3. Overlap (fall back): if the hour field is restricted (does not match all 24 hours), an
 *    ambiguous matching wall time fires once, at its FIRST occurrence (e.g. 01:30 EDT, never
 *    01:30 EST). If the hour field matches every hour, the job follows elapsed time and fires at
 *    both occurrences (`minute=0,30`: 01:00, 01:30 EDT, then 01:00, 01:30 EST): no hour is
 *    skipped and no wall time fires twice for a restricted-hour job.
 * 4. Offsets come from the real tz rules (luxon/Intl, cached per zone) at every date, also after
 *    2037 (not pytz's frozen offsets).
 * 5. (parser) Text APScheduler half-reads (`jan-dec/2`, `lastfri`, `mon#2` …) is rejected.
 * 6. A spec that can never match (`day=31, month=feb`, a past `year`, `week=53` in years without
 *    one …) returns `undefined` at once (detected from the 28 kinds of calendar year); nothing here
 *    throws.
 *
 * Where APScheduler 3.9.1 differs without a quirk code in the vectors: it skips the day when a
 * restricted-hour job's time falls into Sao Paulo's midnight gap (rule 1 fires it shifted), and it
 * fires `hour=22-23` at both 23:00s when Sao Paulo falls back at midnight (rule 3 fires once).
 *
 * The set of fire instants F is therefore: for every matching wall reading w, its unique instant;
 * for a gap reading, `w - offsetBefore` (restricted hour) or nothing (every hour); for an
 * ambiguous reading, the first occurrence (restricted hour) or both (every hour).
 * `nextFire(s)` is min(F ∩ [s, ∞)), `prevFire(u)` is max(F ∩ (-∞, u]), `countFires(a, b)` is
 * |F ∩ [a, b)|, all without enumerating F: `countFires` multiplies matching days by matching
 * times of day, month by month, and enumerates only the gap window of each spring-forward.
 *
 * Zone assumption (zone.ts): at most one offset change per 48 hours; changes come from
 * `Zone.nextTransition` (the zone's cached transition table).
 *
 * @internal
 */
import type { Zone } from "../internal/zone.js"
import { DAY_MS, type Matcher } from "./matcher.js"

const MAX_STEPS = 200_000

/** The first instant of F at or after `s` (whole seconds), or `undefined`. */
export const nextFire = (m: Matcher, zone: Zone, s: number): number | undefined => {
  const os = zone.offsetAt(s)
  const oa = zone.offsetAt(s - DAY_MS)
  const ob = zone.offsetAt(s + DAY_MS)
  if (oa === os && ob === os) return nextFireNear(m, zone, s, os)
  // one offset change X within a day of s: the candidates of each side, by arithmetic
  const elapsed = m.everyHour
  const x = oa !== os ? changeIn(zone, s - DAY_MS, s) : changeIn(zone, s, s + DAY_MS)
  const o1 = oa !== os ? oa : os
  const o2 = zone.offsetAt(x)
  let best = Infinity
  if (s < x) {
    // readings before the change (for a fall-back: the first occurrences)
    const v = m.firstMatch(s + o1)
    if (v >= 0 && v < x + o1) best = v - o1
  }
  if (o2 > o1 && !elapsed) {
    // gap readings [x + o1, x + o2), shifted forward by the gap (rule 1)
    const v = m.firstMatch(Math.max(s + o1, x + o1))
    if (v >= 0 && v < x + o2 && v - o1 < best) best = v - o1
  }
  // readings after the change (restricted hour: not the second occurrences, rule 3)
  const low = o1 > o2 && !elapsed ? x + o1 : x + o2
  const v = m.firstMatch(Math.max(s + o2, low))
  if (v >= 0) {
    const t = v - o2 < x + DAY_MS ? v - o2 : nextFireNear(m, zone, x + DAY_MS, o2)
    if (t !== undefined && t < best) best = t
  }
  return best === Infinity ? undefined : best
}

/** `nextFire` where no offset change lies within a day of `s` (offset `os`). */
const nextFireNear = (m: Matcher, zone: Zone, s: number, os: number): number | undefined => {
  const elapsed = m.everyHour
  let best = Infinity
  let w = m.firstMatch(s + os)
  for (let steps = 0; w >= 0 && steps < MAX_STEPS; steps++) {
    // the match may lie near a later change: resolve it there
    const r = zone.resolve(w)
    if (r.kind === "overlap") {
      if (r.earlier >= s && r.earlier < best) best = r.earlier
      if (elapsed && r.later >= s && r.later < best) best = r.later
    } else if (r.earlier >= s && r.earlier < best && !(elapsed && r.kind === "gap")) {
      best = r.earlier
    }
    if (best === s) return s
    const nextW = w + 1000
    if (best !== Infinity) {
      // any later wall v maps to an instant >= v - (largest offset near `best`)
      const omax = Math.max(zone.offsetAt(best), zone.offsetAt(best - DAY_MS))
      if (nextW - omax >= best) return best
    }
    w = m.firstMatch(nextW)
  }
  return best === Infinity ? undefined : best
}

/** The last instant of F at or before `u`, or `undefined`. */
export const prevFire = (m: Matcher, zone: Zone, u: number): number | undefined => {
  const uS = Math.floor(u / 1000) * 1000
  const ou = zone.offsetAt(uS)
  const oa = zone.offsetAt(uS - DAY_MS)
  const ob = zone.offsetAt(uS + DAY_MS)
  if (oa === ou && ob === ou) return prevFireNear(m, zone, uS, ou)
  const elapsed = m.everyHour
  const x = oa !== ou ? changeIn(zone, uS - DAY_MS, uS) : changeIn(zone, uS, uS + DAY_MS)
  const o1 = oa !== ou ? oa : ou
  const o2 = zone.offsetAt(x)
  let best = -Infinity
  if (uS >= x) {
    // readings after the change
    const low = o1 > o2 && !elapsed ? x + o1 : x + o2
    const v = m.prevMatch(uS + o2)
    if (v >= low) best = v - o2
  }
  if (o2 > o1 && !elapsed && uS >= x) {
    // gap readings, shifted
    const v = m.prevMatch(Math.min(uS + o1, x + o2 - 1000))
    if (v >= x + o1 && v - o1 > best) best = v - o1
  }
  if (best === -Infinity) {
    // readings before the change (instants < x)
    const v = m.prevMatch(Math.min(uS, x - 1000) + o1)
    if (v >= 0) {
      // [x - DAY, x) has offset o1 (one change per 48 hours): a reading there is final, the
      // boundary x - DAY included; an older one may lie past an earlier change, so search again
      const t = v - o1 >= x - DAY_MS ? v - o1 : prevFireNear(m, zone, x - DAY_MS - 1000, o1)
      if (t !== undefined && t > best) best = t
    }
  }
  return best === -Infinity ? undefined : best
}

/** `prevFire` where no offset change lies within a day of `uS` (offset `ou`). */
const prevFireNear = (m: Matcher, zone: Zone, uS: number, ou: number): number | undefined => {
  const elapsed = m.everyHour
  let best = -Infinity
  let w = m.prevMatch(uS + ou)
  for (let steps = 0; w >= 0 && steps < MAX_STEPS; steps++) {
    const r = zone.resolve(w)
    if (r.kind === "overlap") {
      if (r.earlier <= uS && r.earlier > best) best = r.earlier
      if (elapsed && r.later <= uS && r.later > best) best = r.later
    } else if (r.earlier <= uS && r.earlier > best && !(elapsed && r.kind === "gap")) {
      best = r.earlier
    }
    if (best === uS) return uS
    const nextW = w - 1000
    if (best !== -Infinity) {
      // any earlier wall v maps to an instant <= v - (smallest offset near `best`)
      const omin = Math.min(zone.offsetAt(best), zone.offsetAt(best + DAY_MS))
      if (nextW - omin <= best) return best
    }
    w = m.prevMatch(nextW)
  }
  return best === -Infinity ? undefined : best
}

interface Piece {
  /** Start of the constant-offset piece (clipped to the counted range). */
  readonly start: number
  readonly end: number
  readonly offset: number
  /** The change that began this offset, when it is within two days before `start`. */
  readonly changeAt: number | undefined
  readonly before: number
}

/** The first instant in (lo, hi] whose offset differs from `offset` (whole seconds). */
/** The offset change in (lo, hi], known to exist (`offsetAt(lo)` differs from `offsetAt(hi)`). */
const changeIn = (zone: Zone, lo: number, hi: number): number => zone.nextTransition(lo, hi) ?? hi

/** Splits [a, b) into pieces of constant UTC offset. */
const pieces = (zone: Zone, a: number, b: number): Array<Piece> => {
  const out: Array<Piece> = []
  // the change that began the offset at `a`, if recent
  let offset = zone.offsetAt(a)
  let changeAt: number | undefined
  let before = offset
  const back = zone.offsetAt(a - 2 * DAY_MS)
  if (back !== offset) {
    changeAt = changeIn(zone, a - 2 * DAY_MS, a)
    before = back
  }
  let start = a
  for (let x = zone.nextTransition(a, b); x !== undefined && x < b; x = zone.nextTransition(x, b)) {
    out.push({ start, end: x, offset, changeAt, before })
    before = offset
    offset = zone.offsetAt(x)
    changeAt = x
    start = x
  }
  out.push({ start, end: b, offset, changeAt, before })
  return out
}

/** |F ∩ [a, b)|. */
export const countFires = (m: Matcher, zone: Zone, a: number, b: number): number => {
  if (b <= a) return 0
  const elapsed = m.everyHour
  let total = 0
  for (const p of pieces(zone, a, b)) {
    const o = p.offset
    total += m.countWalls(p.start + o, p.end + o)
    if (p.changeAt === undefined) continue
    const x = p.changeAt
    if (p.before > o) {
      // overlap: instants [x, x + (before - o)) are second occurrences of walls [x + o, x + before)
      if (!elapsed) {
        const lo = Math.max(p.start, x)
        const hi = Math.min(p.end, x + (p.before - o))
        if (hi > lo) total -= m.countWalls(lo + o, hi + o)
      }
    } else if (p.before < o && !elapsed) {
      // gap: instants [x, x + g) also stand for the missing walls [x + before, x + o)
      const lo = Math.max(p.start, x)
      const hi = Math.min(p.end, x + (o - p.before))
      if (hi > lo) total += countShifted(m, lo, hi, p.before, o)
    }
  }
  return total
}

/** Instants t in [lo, hi) (whole seconds) whose reading t + pb matches and t + pa does not. */
const countShifted = (m: Matcher, lo: number, hi: number, pb: number, pa: number): number => {
  let c = 0
  const perMinute = (pa - pb) % 60_000 === 0
  let t = Math.ceil(lo / 1000) * 1000
  while (t < hi) {
    if (perMinute && (t + pb) % 60_000 === 0 && t + 60_000 <= hi) {
      // whole minute: the same seconds match in both readings
      const wb = t + pb
      const wa = t + pa
      const cb = m.countWalls(wb, wb + 60_000)
      if (cb > 0 && m.countWalls(wa, wa + 60_000) === 0) c += cb
      t += 60_000
    } else {
      if (m.matches(t + pb) && !m.matches(t + pa)) c++
      t += 1000
    }
  }
  return c
}
