// Bench section: detect (placeholder until its issue lands).
import type { BenchSection } from './section.js';

export const detectBench: BenchSection = async () => ({ figures: {}, lines: ['detect: not measured yet'] });
