// Bench section: parse (placeholder until its issue lands).
import type { BenchSection } from './section.js';

export const parseBench: BenchSection = async () => ({ figures: {}, lines: ['parse: not measured yet'] });
