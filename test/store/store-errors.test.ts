import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { RerankerError } from '../../src/errors.js';
import { toStoreError } from '../../src/store/sql/store-errors.js';
import { mountTmpfs } from '../support/tmpfs.js';
import { adminSql, ENABLE_POSTGRES_HINT, postgresUnavailable, runSuffix, STORE_TEST_URL } from './store-fixtures.js';

/**
 * How a failed store call answers, from errors the real parts raise: Postgres's SQLSTATEs (the same
 * codes PGlite raises, being Postgres), and the errno of Node's own file calls on a real tmpfs.
 */
const postgres = await postgresUnavailable();

function mapped(err: unknown): { code: string; status: number; retryAfter: number | undefined; message: string } {
  const out = toStoreError(err, 'test store');
  if (!(out instanceof RerankerError)) throw new Error(`not mapped: ${String(err)}`);
  return { code: out.code, status: out.statusCode, retryAfter: out.retryAfter, message: out.message };
}

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe.skipIf(postgres !== undefined)(`real Postgres errors${postgres === undefined ? '' : ` (${ENABLE_POSTGRES_HINT})`}`, () => {
  const role = `rr_limited_${runSuffix()}`;
  afterAll(async () => {
    if (postgres === undefined) await adminSql(`DROP ROLE IF EXISTS ${role}`);
  });

  async function onClient<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client(STORE_TEST_URL);
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  it('a write where the server takes none (25006) is 503 STORE_READ_ONLY with Retry-After', async () => {
    const err = await onClient((c) => caught(async () => {
      await c.query('BEGIN READ ONLY');
      await c.query('CREATE TABLE never_made (x int)');
    }));
    expect((err as { code?: string }).code).toBe('25006');
    expect(mapped(err)).toMatchObject({ code: 'STORE_READ_ONLY', status: 503, retryAfter: 5, message: expect.stringMatching(/read-only transaction/) });
  });

  it('no connection to spare (53300) is 503 STORE_CONNECTIONS_EXHAUSTED with Retry-After', async () => {
    await adminSql(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
    const url = new URL(STORE_TEST_URL);
    url.username = role;
    const client = new pg.Client(url.toString());
    client.on('error', () => undefined);
    const err = await caught(() => client.connect());
    expect((err as { code?: string }).code).toBe('53300');
    expect(mapped(err)).toMatchObject({ code: 'STORE_CONNECTIONS_EXHAUSTED', status: 503, retryAfter: 1, message: expect.stringMatching(/max_connections/) });
  });

  it('a file the server cannot open (58P01) is 500 STORE_IO_ERROR', async () => {
    const err = await onClient((c) => caught(() => c.query(`SELECT pg_read_file('/nonexistent-${runSuffix()}')`)));
    expect((err as { code?: string }).code).toBe('58P01');
    expect(mapped(err)).toMatchObject({ code: 'STORE_IO_ERROR', status: 500 });
  });
});

describe('errors of the service\'s own file calls', () => {
  const disk = mountTmpfs(1);
  const skip = typeof disk === 'string' ? disk : undefined;
  afterAll(() => {
    if (typeof disk !== 'string') disk.unmount();
  });

  it.skipIf(skip !== undefined)(`a full volume (ENOSPC) is 507 STORE_FULL${skip === undefined ? '' : ` (${skip})`}`, () => {
    if (typeof disk === 'string') return;
    let err: unknown;
    try {
      writeFileSync(`${disk.dir}/big`, Buffer.alloc(2 * 1024 * 1024));
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('ENOSPC');
    expect(mapped(err)).toMatchObject({ code: 'STORE_FULL', status: 507, retryAfter: undefined });
  });

  it.skipIf(skip !== undefined)('a read-only volume (EROFS) is 503 STORE_READ_ONLY', () => {
    if (typeof disk === 'string') return;
    execFileSync('mount', ['-o', 'remount,ro', disk.dir]);
    let err: unknown;
    try {
      writeFileSync(`${disk.dir}/small`, 'x');
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('EROFS');
    expect(mapped(err)).toMatchObject({ code: 'STORE_READ_ONLY', status: 503 });
  });
});

describe('SQLSTATEs no test here can make a server raise', () => {
  // A server starting up or in crash recovery refuses connections with 57P03; producing one needs a
  // cluster in recovery, so this error is built as node-postgres builds it (a DatabaseError with the code).
  it('a server starting up or recovering (57P03) is 503 STORE_RECOVERING with Retry-After', () => {
    const err = Object.assign(new pg.DatabaseError('the database system is starting up', 0, 'error'), { code: '57P03' });
    expect(mapped(err)).toMatchObject({ code: 'STORE_RECOVERING', status: 503, retryAfter: 2 });
  });
});
