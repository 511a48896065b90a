import type { LoadedModel } from '../../models/registry.js';
import type { Ready } from '../../service.js';
import type { ModelCard } from './schemas.js';
import type { Static } from 'typebox';

/** Every loaded model as /v1/models and /info list it: rerankers first, each role's default first. */
export function modelCards(ready: Ready, created: number): Static<typeof ModelCard>[] {
  const card = (model: LoadedModel, isDefault: boolean): Static<typeof ModelCard> => ({
    id: model.servedName,
    object: 'model',
    created,
    owned_by: 'reranker',
    role: model.kind.role,
    kind: model.kind.name,
    default: isDefault,
    precision: model.precision,
    max_input_length: model.spec.maxLength,
    memory_bytes_per_worker: model.memoryBytes,
    max_batch_tokens: model.limits.maxBatchTokens,
    max_batch_size: model.limits.maxBatchSize,
  });
  return [...ready.rerankers.map((r, i) => card(r.model, i === 0)), ...ready.embedders.map((e, i) => card(e.model, i === 0))];
}
