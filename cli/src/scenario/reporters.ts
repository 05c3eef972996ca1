/** `caxton test --reporter`: what the run prints on stdout (tap.ts, junit.ts); the default first. */
export const REPORTERS = ['tap', 'junit'] as const;
export type Reporter = (typeof REPORTERS)[number];
