/**
 * The trigger model in one module: the compiled-trigger contract (`CompiledTrigger`, `Instant`,
 * `applyJitter`, …) and the specs with `compile` (`TriggerSpec`, `compile`, `unsafeCompile`,
 * `specFromOptions`, …). Exported as `Trigger` (and, for code written before the merge, as
 * `Triggers`: the same module).
 *
 * @since 0.1.0
 */
export * from "./compile.js"
export * from "./Trigger.js"
