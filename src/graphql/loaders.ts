import DataLoader from 'dataloader';
import type { Context } from './context.ts';

const perRequest = new WeakMap<Context, Map<string, DataLoader<any, any>>>();

/**
 * A DataLoader that lives for one request, found by a key that includes any arguments the batch
 * depends on (e.g. page size), so fields resolved in the same tick share one query.
 */
export function requestLoader<K, V>(
  context: Context,
  key: string,
  batch: (keys: readonly K[]) => Promise<(V | Error)[]>,
): DataLoader<K, V> {
  let loaders = perRequest.get(context);
  if (!loaders) perRequest.set(context, (loaders = new Map()));
  let loader = loaders.get(key);
  if (!loader) loaders.set(key, (loader = new DataLoader<K, V>(batch, { maxBatchSize: 1000 })));
  return loader;
}
