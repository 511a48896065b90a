import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { HubSettings } from '../config.js';
import { ModelLoadError } from '../errors.js';
import { loadModelFolder } from '../models/model-folder.js';
import { HubError, OFFLINE_ADVICE } from './hub-error.js';
import { MANIFEST_NAME } from './pull-manifest.js';
import { pullModel } from './pull-model.js';

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function loads(dir: string, onnxFile: string | undefined): boolean {
  try {
    loadModelFolder(dir, onnxFile, 'feature-extraction');
    return true;
  } catch {
    return false;
  }
}

/** Where a hub repo id lives locally: <models-dir>/<owner>/<name>. */
export function localFolderFor(repoId: string, modelsDir: string): string {
  return resolve(modelsDir, ...repoId.split('/'));
}

/** A model the settings name: a folder or a hub repo id, and the ONNX file wanted inside it. */
export interface ModelSource {
  model: string;
  onnxFile: string | undefined;
  /** The setting that named it, for the advice: --embedding-model has its own fixes (issue 24). */
  flag?: '--model' | '--embedding-model';
}

/** The last resort each setting offers: a local folder, and for the embedder, none at all. */
function localAdvice(flag: ModelSource['flag']): string {
  return flag === '--embedding-model' ? 'pass --embedding-model DIR with a local folder, or --embedding-model none to go without embeddings' : 'pass --model DIR with a local folder';
}

/**
 * Turns --model (or --embedding-model) into a folder: an existing folder is used as it is; a repo id
 * is looked up under --models-dir and pulled when missing (TEI's --model-id behaviour). Offline,
 * the error says what to do.
 */
export async function resolveModelFolder(source: ModelSource, hub: HubSettings, log: (msg: string) => void): Promise<string> {
  const { model } = source;
  if (isDir(model)) return resolve(model);
  if (isAbsolute(model) || model.startsWith('.') || !REPO_ID.test(model)) {
    const example = source.flag === '--embedding-model' ? 'sentence-transformers/all-MiniLM-L6-v2' : 'cross-encoder/ms-marco-MiniLM-L-6-v2';
    throw new ModelLoadError(resolve(model), 'the folder does not exist', `Pass ${source.flag ?? '--model'} with a model folder or a hub repo id such as ${example}.`);
  }
  const dir = localFolderFor(model, hub.modelsDir);
  // A complete folder copied in by hand (no pull manifest) is used as it is. With a manifest, the
  // pull below verifies it against the manifest without touching the network.
  if (isDir(dir) && !existsSync(join(dir, MANIFEST_NAME)) && loads(dir, source.onnxFile)) return dir;
  log(`resolving ${model} in ${dir} (hub: ${hub.endpoint})`);
  try {
    await pullModel({
      repoId: model,
      destDir: dir,
      revision: hub.revision,
      endpoint: hub.endpoint,
      ...(source.onnxFile === undefined ? {} : { onnxFile: source.onnxFile }),
      ...(hub.token === undefined ? {} : { token: hub.token }),
      log,
    });
  } catch (err) {
    if (err instanceof HubError) throw pullFailed(model, dir, err, source.flag);
    throw err;
  }
  return dir;
}

/**
 * Only an unreachable hub calls for the offline routes. A wrong repo id, a missing token or a
 * mirror serving altered files has its own fix in the hub's message; telling that operator to
 * pull on another machine would send them the wrong way.
 */
function pullFailed(model: string, dir: string, err: HubError, flag: ModelSource['flag']): ModelLoadError {
  // The hub's own offline advice is replaced below by one naming this repo and folder.
  const problem = `${model} is not here and could not be pulled (${err.code}: ${err.message.replace(OFFLINE_ADVICE, '').trim()})`;
  if (err.code === 'HUB_UNREACHABLE') {
    return new ModelLoadError(
      dir,
      problem,
      `Run \`npm run model:pull -- ${model}\` on a connected machine and copy ${dir} here, mount a model folder there, or ${localAdvice(flag)}.`,
    );
  }
  return new ModelLoadError(dir, problem, `Fix that and start again, or ${localAdvice(flag)}.`);
}
