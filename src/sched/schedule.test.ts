import { describe, expect, test } from 'vitest';
import { fc, test as ptest } from '@fast-check/vitest';
import { formatSchedule, parseSchedule } from './schedule.js';
import { UsageError } from '../core/errors.js';

describe('schedule strings', () => {
  ptest.prop([fc.array(fc.nat({ max: 5 }), { maxLength: 200 })])('format then parse is the identity', (choices) => {
    const s = formatSchedule('gup-fast-vs-zap', choices);
    expect(parseSchedule(s)).toEqual({ scenario: 'gup-fast-vs-zap', choices });
  });

  ptest.prop([fc.string({ maxLength: 80 })])('any other text is a UsageError, never a crash', (text) => {
    try {
      parseSchedule(text);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
    }
  });

  test('an older format is named as such', () => {
    expect(() => parseSchedule('rw0:gup-fast-vs-zap:0x3')).toThrow(/format 'rw0' is not supported/);
  });
});
