export { checkScores, type ScoreCheckOptions, type ScoreCheckResult } from './score-check.js';
export { kendallTauB, spearman, topK, topKOverlap } from './rank-agreement.js';
export { generateWorkload, wordsFromTokenizerJson, wordsFromVocab, type WorkloadOptions, type WorkloadQuery } from './synthetic-workload.js';
