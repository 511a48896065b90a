export { pullModel, DEFAULT_ENDPOINT } from './pull-model.js';
export type { PullOptions, PullResult, PulledFile } from './pull-model.js';
export { HubError } from './hub-error.js';
export type { HubErrorCode } from './hub-error.js';
export { DEFAULT_ONNX_FILE, ROOT_ONNX_FILE } from './file-plan.js';
export { MANIFEST_NAME } from './pull-manifest.js';
