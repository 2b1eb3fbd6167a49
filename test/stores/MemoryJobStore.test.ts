import { describe, expect, it } from "@effect/vitest"
import * as Job from "../../src/job/Job.js"
import { JobIndex } from "../../src/stores/MemoryJobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import { every } from "../testing/testTriggers.js"
import { suite } from "./jobStoreSuite.js"

suite("MemoryJobStore", MemoryJobStore.layer)

describe("MemoryJobStore index", () => {
  const trigger = every(60, 0)
  const noop = () => undefined

  it("holds functions directly", () => {
    const index = new JobIndex()
    const fn = () => 42
    index.add(Job.make({ id: "f", task: fn, trigger, nextRunTime: 1 }), false)
    expect(index.get("f")!.task).toBe(fn)
  })

  it("getDueJobs is proportional to the due jobs (100k jobs, 3 due)", () => {
    const index = new JobIndex()
    for (let i = 0; i < 100_000; i++) {
      index.add(Job.make({ id: `j${i}`, task: noop, trigger, nextRunTime: 1_000_000 + i }), false)
    }
    index.add(Job.make({ id: "d1", task: noop, trigger, nextRunTime: 5 }), false)
    index.add(Job.make({ id: "d2", task: noop, trigger, nextRunTime: 3 }), false)
    index.add(Job.make({ id: "d3", task: noop, trigger, nextRunTime: 5 }), false)
    // warm up, then time many calls: a scan of 100k entries would take far longer
    let due: Array<Job.Job> = []
    const start = performance.now()
    for (let k = 0; k < 10_000; k++) due = index.due(10)
    const elapsed = performance.now() - start
    expect(due.map((j) => j.id)).toEqual(["d2", "d1", "d3"])
    expect(elapsed).toBeLessThan(1000)
    expect(index.nextRunTime()).toBe(3)
  })
})
