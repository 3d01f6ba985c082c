import { describe, expect, it } from 'vitest';
import { readMessage, sourceFor, toLine } from './message.js';

describe('readMessage', () => {
  it.each([
    [
      'RFC 5424 (logger --rfc5424)',
      '<13>1 2026-12-07T06:04:18.123456+00:00 web-1 myapp 42 - [timeQuality tzKnown="1"] hello',
      { rfc: 5424, pri: 13, host: 'web-1', app: 'myapp' },
    ],
    ['RFC 5424 nil fields', '<165>1 - - - - - -', { rfc: 5424, pri: 165, host: undefined, app: undefined }],
    [
      'RFC 5424 with BOM message',
      '<34>1 2026-01-01T00:00:00Z h su - ID47 - \ufeffmsg',
      { rfc: 5424, pri: 34, host: 'h', app: 'su' },
    ],
    [
      'RFC 3164 (logger --rfc3164)',
      '<13>Dec  7 06:04:18 web-1 myapp: hello',
      { rfc: 3164, pri: 13, host: 'web-1', app: 'myapp' },
    ],
    [
      'RFC 3164 with pid',
      '<86>Dec 17 06:04:18 db sshd[42]: Accepted',
      { rfc: 3164, pri: 86, host: 'db', app: 'sshd' },
    ],
    [
      'RFC 3164 without hostname',
      '<13>Dec  7 06:04:18 sshd[42]: x',
      { rfc: 3164, pri: 13, host: undefined, app: 'sshd' },
    ],
    [
      'RFC 3164 without tag',
      '<13>Dec  7 06:04:18 web-1 just text',
      { rfc: 3164, pri: 13, host: 'web-1', app: undefined },
    ],
    ['RFC 3164 without header', '<13>just text', { rfc: 3164, pri: 13 }],
    ['PRI 0', '<0>Dec  7 06:04:18 h k: x', { rfc: 3164, pri: 0, host: 'h', app: 'k' }],
  ])('%s', (_name, text, want) => {
    const m = readMessage(text);
    expect(typeof m).toBe('object');
    expect(m).toMatchObject({ ...want, line: text });
  });

  it.each([
    ['', 'empty'],
    ['\n\0 ', 'empty'],
    ['no pri', 'bad_pri'],
    ['<>x', 'bad_pri'],
    ['<1234>x', 'bad_pri'],
    ['<192>x', 'bad_pri'],
    ['<013>x', 'bad_pri'],
    ['<1a>x', 'bad_pri'],
    ['<13>1 2026-01-01T00:00:00Z host', 'bad_header'],
    ['<13>1 2026-01-01T00:00:00Z host app 1 ID x', 'bad_header'],
    ['<13>1 2026-01-01T00:00:00Z  app 1 ID -', 'bad_header'],
    [`<13>1 - h ${'a'.repeat(49)} - - -`, 'bad_header'],
    ['<13>\ufffd\ufffd\0\ufffdab', 'binary'],
  ])('%j is %s', (text, problem) => {
    expect(readMessage(text)).toBe(problem);
  });

  it('keeps a message with a few undecodable bytes (parse-log flags it)', () => {
    expect(readMessage(`<13>Dec  7 06:04:18 h app: caf\ufffd ${'x'.repeat(20)}`)).toMatchObject({
      app: 'app',
    });
  });

  it('drops trailing line ends and escapes line breaks inside the message', () => {
    expect(readMessage('<13>1 - h a - - - one\ntwo\r\n')).toMatchObject({
      line: '<13>1 - h a - - - one#012two',
    });
    expect(toLine('a\r\nb')).toBe('a#015#012b');
  });
});

describe('sourceFor', () => {
  it.each([
    ['myapp', 'myapp'],
    [undefined, 'syslog'],
    ['systemd-journald', 'systemd-journald'],
    ['/usr/sbin/cron', 'usr_sbin_cron'],
    ['app name', 'app_name'],
    ['___', 'syslog'],
    ['a'.repeat(80), 'a'.repeat(64)],
  ])('%j -> %s', (app, want) => {
    expect(sourceFor(app, 'syslog')).toBe(want);
  });
});
