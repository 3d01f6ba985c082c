import { describe, expect, it } from 'vitest';
import { digitsAt } from './digits.js';

describe('digitsAt', () => {
  it('reads the decimal number in a range, or -1', () => {
    expect(digitsAt('2026-11-28', 0, 4)).toBe(2026);
    expect(digitsAt('2026-11-28', 5, 2)).toBe(11);
    expect(digitsAt('07', 0, 2)).toBe(7);
    expect(digitsAt('2a', 0, 2)).toBe(-1);
    expect(digitsAt('2/', 0, 2)).toBe(-1);
    expect(digitsAt('12', 1, 2)).toBe(-1); // runs past the end
    expect(digitsAt('x', 0, 0)).toBe(0);
  });
});
