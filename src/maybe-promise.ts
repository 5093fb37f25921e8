/**
 * A value that may be there now or arrive later: stores answer from memory at once and from a
 * network later, and the request path stays synchronous when nothing has to wait. A leaf.
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * `f(value)`, at once when the value is there, else when it arrives. With `onError`, a failure of
 * the value or of `f`, thrown or rejected, becomes `onError(error)` the same way.
 */
export function andThen<T, U>(value: MaybePromise<T>, f: (value: T) => MaybePromise<U>, onError?: (error: unknown) => MaybePromise<U>): MaybePromise<U> {
  if (value instanceof Promise) return onError ? value.then(f).catch(onError) : value.then(f);
  if (!onError) return f(value);
  let result: MaybePromise<U>;
  try {
    result = f(value);
  } catch (error) {
    return onError(error);
  }
  return result instanceof Promise ? result.catch(onError) : result;
}
