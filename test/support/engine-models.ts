import type { Config } from '../../src/config.js';
import { modelSettings } from '../../src/compose.js';
import type { EngineModel } from '../../src/engine/engine.js';
import { crossEncoder, embedder as embedderKind } from '../../src/models/kinds/index.js';
import type { CrossEncoderSpec } from '../../src/models/kinds/cross-encoder.js';
import type { EmbedderSpec } from '../../src/models/kinds/embedder.js';
import { loadedModel } from '../../src/models/registry.js';

/** The engine models the registry builds for folders a test has loaded already (the registry's own path, without reading them again). */
export function engineModels(specs: { reranker: CrossEncoderSpec; embedder: EmbedderSpec | undefined }, config: Config): EngineModel[] {
  const settings = modelSettings(config);
  const models = [loadedModel(crossEncoder, specs.reranker, specs.reranker.folder.name, settings).engine];
  if (specs.embedder !== undefined) models.push(loadedModel(embedderKind, specs.embedder, specs.embedder.folder.name, settings).engine);
  return models;
}
