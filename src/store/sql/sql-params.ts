/** The values of one parameterised statement; `add` answers the placeholder to write in the SQL. */
export class SqlParams {
  readonly values: unknown[];

  /** `first`: values whose placeholders $1..$n are already written (a compiled filter's). */
  constructor(first: readonly unknown[] = []) {
    this.values = [...first];
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
