/** A run request sent to a worker thread. */
export interface RunRequest {
  readonly task: string
  readonly args: ReadonlyArray<unknown>
  readonly kwargs: Readonly<Record<string, unknown>>
}

/** A task's error, as sent back by a worker thread. */
export interface TaskFailure {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
}
