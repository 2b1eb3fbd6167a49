/** A promise with its resolve function (`Promise.withResolvers` needs Node 22): the examples await their jobs' runs with it. */
export const signal = (): { readonly done: Promise<void>; readonly resolve: () => void } => {
  let resolve = () => {}
  const done = new Promise<void>((r) => {
    resolve = r
  })
  return { done, resolve }
}
