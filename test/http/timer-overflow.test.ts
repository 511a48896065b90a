import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, MAX_TIMER_MS, SETTINGS, type SettingName } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { testApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 11, item 4: Node turns a timer delay above 2^31-1 ms into 1 ms (with a
 * TimeoutOverflowWarning). No setting and no header may get such a delay to a timer.
 */
const MS_SETTINGS = (Object.keys(SETTINGS) as SettingName[]).filter((name) => name.endsWith('Ms'));

describe('millisecond settings (issue 11)', () => {
  it('every one of them refuses a delay Node cannot time, naming the setting', () => {
    expect(MS_SETTINGS.length).toBeGreaterThanOrEqual(7);
    for (const name of MS_SETTINGS) {
      expect(() => buildConfig({ [name]: String(MAX_TIMER_MS + 1) }), name).toThrow(ConfigError);
      expect(() => buildConfig({ [name]: String(MAX_TIMER_MS + 1) }), name).toThrow(SETTINGS[name].flag.split(' ')[0]);
    }
  });
});

describe('X-Request-Timeout-Ms above the longest timer (issue 11)', () => {
  let t: TestApp;
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  beforeAll(async () => {
    t = await testApp({ workers: '0' });
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await t?.close();
  });

  it('is clamped to 2^31-1 ms: the request is served, not timed out at once', async () => {
    for (const value of [String(MAX_TIMER_MS + 1), '99999999999', '1e15']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v2/rerank',
        payload: { query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'] },
        headers: { 'x-request-timeout-ms': value, 'cache-control': 'no-store' },
      });
      expect(res.statusCode, value).toBe(200);
    }
    await new Promise((r) => setImmediate(r));
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('still refuses what is not a whole number of milliseconds with 400', async () => {
    for (const value of ['-1', '1.5', 'Infinity', '1e400', 'soon']) {
      const res = await t.app.inject({ method: 'POST', url: '/v2/rerank', payload: { query: 'q', documents: ['a'] }, headers: { 'x-request-timeout-ms': value } });
      expect(res.statusCode, value).toBe(400);
      expect(res.json().error.code).toBe('INVALID_REQUEST');
    }
  });
});
