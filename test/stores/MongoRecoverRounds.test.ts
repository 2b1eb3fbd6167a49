/**
 * MongoDB recover's reading in rounds, without a server: the expired runs of a job at its
 * maxInstances never crowd the recovery of other jobs' runs out of a call.
 */
import { describe, expect, it } from "@effect/vitest"
import { expiredRunsFilter, RECOVER_ROUNDS, recoverInRounds, type RecoverStep } from "../../src/stores/internal/mongo.js"

const T0 = Date.UTC(2024, 0, 1)

interface Expired {
  readonly jobId: string
  readonly scheduledTime: number
  readonly acquiredUntil: number
}

/**
 * Runs `recoverInRounds` over expired runs held in an array, read the way the store's query reads
 * them (jobs already read left out, oldest lease end then scheduled time first, `limit` at most);
 * a run is taken over while its job has a free slot (`free`), like the store's step.
 */
const recover = async (expired: ReadonlyArray<Expired>, free: Record<string, number>, limit: number) => {
  const left = { ...free }
  const taken: Array<string> = []
  let reads = 0
  const done = await recoverInRounds(
    limit,
    async (seen, n) => {
      reads++
      return expired.filter((r) => !seen.includes(r.jobId))
        .sort((a, b) => a.acquiredUntil - b.acquiredUntil || a.scheduledTime - b.scheduledTime)
        .slice(0, n)
    },
    async (r): Promise<RecoverStep> => {
      if ((left[r.jobId] ?? 0) <= 0) return "skip"
      left[r.jobId]!--
      taken.push(`${r.jobId}@${r.scheduledTime - T0}`)
      return "done"
    }
  )
  return { done, taken, reads }
}

describe("MongoJobStore recover in rounds (no server)", () => {
  it("a job at its maxInstances with more expired runs than the limit does not starve another job's expired run", async () => {
    const until = T0 + 1000
    const expired = [
      { jobId: "full", scheduledTime: T0 - 3000, acquiredUntil: until },
      { jobId: "full", scheduledTime: T0 - 2000, acquiredUntil: until },
      { jobId: "full", scheduledTime: T0 - 1000, acquiredUntil: until },
      { jobId: "other", scheduledTime: T0, acquiredUntil: until }
    ]
    const got = await recover(expired, { full: 1, other: 1 }, 2)
    expect(got.taken.sort()).toEqual(["full@-3000", "other@0"])
    expect(got.done).toBe(2)
  })

  it("recover never takes more than the limit and reads at most RECOVER_ROUNDS times", async () => {
    // ten slotless jobs ahead, each with one expired run, then two jobs with a free slot
    const expired: Array<Expired> = Array.from({ length: 10 }, (_, i) => ({ jobId: `busy${i}`, scheduledTime: T0 + i, acquiredUntil: T0 }))
    expired.push({ jobId: "x", scheduledTime: T0, acquiredUntil: T0 + 1 }, { jobId: "y", scheduledTime: T0, acquiredUntil: T0 + 1 })
    const few = await recover(expired, { x: 1, y: 1 }, 2)
    expect(few).toEqual({ done: 0, taken: [], reads: RECOVER_ROUNDS }) // 4 rounds of 2 read 8 busy jobs
    const enough = await recover(expired, { x: 1, y: 1 }, 4)
    expect(enough.taken).toEqual(["x@0", "y@0"])
    const one = await recover(expired, { x: 1, y: 1 }, 1)
    expect(one.taken).toEqual([])
  })

  it("the expired runs' filter leaves out the jobs read in earlier rounds", () => {
    expect(expiredRunsFilter(T0, [])).toEqual({ state: { $in: ["ready", "running"] }, acquiredUntil: { $ne: null, $lte: T0 } })
    expect(expiredRunsFilter(T0, ["a", "b"]).jobId).toEqual({ $nin: ["a", "b"] })
  })
})
