import * as Effect from "effect/Effect"
import * as Supervisor from "effect/Supervisor"

/** Counts the fibers started under it while `on` (its fibers' children inherit it). */
export class ForkCounter extends Supervisor.AbstractSupervisor<void> {
  on = false
  forks = 0
  get value() {
    return Effect.void
  }
  override onStart(): void {
    if (this.on) this.forks++
  }
  override onEnd(): void {}
}
