// Bench section: pipeline (placeholder until its issue lands).
import type { BenchSection } from './section.js';

export const pipelineBench: BenchSection = async () => ({ figures: {}, lines: ['pipeline: not measured yet'] });
