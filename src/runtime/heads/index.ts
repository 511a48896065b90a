import { classifierHead, type ClassifierSettings } from './classifier.js';
import type { Head } from './head.js';
import { poolingHead, type PoolingHeadSettings } from './pooling.js';
import { tokenLogitsHead, type TokenLogitsSettings } from './token-logits.js';

/** Every head the runtime can read, as plain data (it crosses into the inference workers). A new head is one file and one line each here. */
export type HeadSettings = ClassifierSettings | PoolingHeadSettings | TokenLogitsSettings;

export function createHead(settings: HeadSettings): Head {
  switch (settings.kind) {
    case 'classifier':
      return classifierHead(settings);
    case 'pooling':
      return poolingHead(settings);
    case 'token-logits':
      return tokenLogitsHead(settings);
  }
}

export type { Head, HeadOutput, OutputInfo } from './head.js';
export type { ClassifierSettings } from './classifier.js';
export type { PoolingHeadSettings } from './pooling.js';
export type { TokenLogitsSettings } from './token-logits.js';
