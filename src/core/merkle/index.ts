export * from './hash.ts';
export * from './tree-size.ts';
export * from './proof.ts';
export * from './frontier.ts';
export * from './tile.ts';
