export { quantizeDynamicInt8, type QuantizeOptions, type QuantizeReport, type QuantizedMatMul, type SkippedMatMul } from './dynamic-int8.js';
export { quantizeOnnxFile, type QuantizeFileResult } from './quantize-file.js';
export { checkScores, type ScoreCheckOptions, type ScoreCheckResult } from './score-check.js';
export { kendallTauB, spearman, topK, topKOverlap } from './rank-agreement.js';
export { generateWorkload, wordsFromTokenizerJson, wordsFromVocab, type WorkloadOptions, type WorkloadQuery } from './synthetic-workload.js';
export { quantizeSymmetricInt8 } from './weight-int8.js';
