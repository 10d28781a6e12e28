import { describe, expect, it } from 'vitest';
import { SAVE_STATUS, SESSION_EXPIRED_MESSAGE } from '../../worker/protocol.ts';
import { savedTime, statusText, STATUS_WORDS } from './status-words.ts';

const NOW = new Date(2026, 11, 1, 16, 30);
const at = (h: number, m: number, day = 1) => new Date(2026, 11, day, h, m).toISOString();

describe('status words', () => {
  it('saved says when, in local HH:MM, once the worker knows the time', () => {
    expect(statusText(SAVE_STATUS.saved, null, at(10, 42), NOW)).toEqual({
      headline: 'Saved · 10:42',
      detail: null,
    });
    expect(statusText(SAVE_STATUS.saved, null, at(9, 5), NOW).headline).toBe('Saved · 09:05');
  });

  it('saved without a known time (never saved, older worker) says all changes are saved', () => {
    expect(statusText(SAVE_STATUS.saved, null, undefined, NOW).headline).toBe('All changes saved');
    expect(statusText(SAVE_STATUS.saved, null, 'not a date', NOW).headline).toBe(
      'All changes saved',
    );
  });

  it('a save of another day carries its date', () => {
    expect(savedTime(at(8, 0, 2), NOW)).toBe('2026-12-02 08:00');
  });

  it('each other status has its words', () => {
    expect(statusText(SAVE_STATUS.saving, null).headline).toBe('Saving…');
    expect(statusText(SAVE_STATUS.pending, null).headline).toBe(STATUS_WORDS.pending);
    expect(statusText(SAVE_STATUS.savedLocally, 'offline').headline).toBe(
      'Saved on this device — will sync when online',
    );
    expect(statusText(SAVE_STATUS.conflict, 'conflict').headline).toBe('Needs your decision');
  });

  it('an expired session asks to sign in again and keeps the reason', () => {
    expect(statusText(SAVE_STATUS.error, SESSION_EXPIRED_MESSAGE)).toEqual({
      headline: 'Sign in again to save',
      detail: SESSION_EXPIRED_MESSAGE,
    });
  });

  it('any other error says not saved and why', () => {
    expect(statusText(SAVE_STATUS.error, 'The plan is archived; restore it to edit.')).toEqual({
      headline: 'Not saved',
      detail: 'The plan is archived; restore it to edit.',
    });
  });
});
