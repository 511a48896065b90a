import { InvalidArgumentError } from '../errors.js';

const NAME = /^[a-z0-9_-]{1,63}$/;

/** Throws unless `name` is a collection name: 1-63 of a-z, 0-9, '_' and '-'. */
export function checkCollectionName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name) : typeof name;
    throw new InvalidArgumentError(`Collection names are 1 to 63 characters of a-z, 0-9, "_" and "-"; got ${shown}.`);
  }
  return name;
}
