import { describe, expect, it } from 'vitest';
import { guessLevel } from './level.js';

describe('guessLevel: level words in free text', () => {
  it.each([
    ['connection failed: timeout', 'error'],
    ['ERROR: disk full', 'error'],
    ['Exception in thread "main"', 'error'],
    ['kernel panic - not syncing', 'fatal'],
    ['warning: low memory.', 'warn'],
    ['retrying after error.', 'error'],
    // Inside a name, a path or a file name, the word is not the level.
    ['status unpacked libgpg-error-dev:amd64 1.46-1', 'info'],
    ['opened /var/log/nginx/error.log for writing', 'info'],
    ['Setting up liberror-perl (0.17029-2) ...', 'info'],
    ['rotating error.log', 'info'],
    ['service started', 'info'],
  ])('%s -> %s', (text, level) => {
    expect(guessLevel(text)).toBe(level);
  });
});
