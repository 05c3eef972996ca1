/**
 * The service directory as the sandbox sees it: a snapshot the host pushes (whole, versioned) so
 * `search-services` answers synchronously without leaving the guest call.
 */
export interface DirectorySnapshot {
  version: number;
  /** service type → agents advertising a service of that type. */
  byType: Record<string, { name: string; addresses?: string[] }[]>;
}

export const EMPTY_DIRECTORY: DirectorySnapshot = Object.freeze({ version: 0, byType: Object.freeze({}) }) as DirectorySnapshot;

/** Most results one search returns (the rest are cut; the snapshot is not a query engine). */
export const MAX_SEARCH_RESULTS = 1000;

export function searchDirectory(snapshot: DirectorySnapshot, type: string): { name: string; addresses: string[] }[] {
  const hits = Object.hasOwn(snapshot.byType, type) ? snapshot.byType[type]! : [];
  return hits.slice(0, MAX_SEARCH_RESULTS).map((a) => ({ name: a.name, addresses: a.addresses ? [...a.addresses] : [] }));
}
