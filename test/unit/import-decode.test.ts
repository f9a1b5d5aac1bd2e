/**
 * The strict UTF-8 decoding of import files (src/import/read-records.ts): valid text in any chunking,
 * a byte-order mark dropped, and the first invalid byte located by offset and line wherever the
 * chunks split it.
 */
import { describe, expect, it } from 'vitest';
import { checkDecodedText, decodeUtf8, fromString, ImportFileError, readRecords, splitCsvRecord, type ReadItem } from '../../src/import/read-records.ts';

async function* inChunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function decode(bytes: Uint8Array, size: number): Promise<string> {
  let text = '';
  for await (const chunk of decodeUtf8(inChunks(bytes, size))) text += chunk;
  return text;
}

const SIZES = [1, 2, 3, 5, 7, 64, 1 << 20];
const TEXT = 'creditCode,name\n91220681MA0D55HD4C,临江市甲矿业有限公司 😀\n';

describe('decodeUtf8', () => {
  it('decodes valid UTF-8 however it is chunked, and drops a byte-order mark', async () => {
    for (const size of SIZES) {
      expect(await decode(Buffer.from(TEXT), size), `chunks of ${size}`).toBe(TEXT);
      expect(await decode(Buffer.from(`\uFEFF${TEXT}`), size), `chunks of ${size}`).toBe(TEXT);
    }
  });

  it.each([
    ['GBK 临江 (C1 never starts UTF-8)', Buffer.from('c1d9bdad', 'hex'), 'c1'],
    ['GBK 中国 (D6 starts a 2-byte character, D0 cannot continue one)', Buffer.from('d6d0b9fa', 'hex'), 'd6 d0'],
    ['a continuation byte alone', Buffer.from('80', 'hex'), '80'],
    ['an overlong encoding', Buffer.from('e08080', 'hex'), 'e0 80'],
    ['an encoded surrogate', Buffer.from('eda080', 'hex'), 'ed a0'],
    ['a code point above U+10FFFF', Buffer.from('f4908080', 'hex'), 'f4 90'],
    ['a lead byte UTF-8 never uses', Buffer.from('ff41', 'hex'), 'ff'],
    ['a character cut short', Buffer.from('e4b8', 'hex'), 'e4 b8 41'],
  ])('refuses %s, naming its byte offset and line in any chunking', async (_what, bad, shown) => {
    const before = Buffer.from(`\uFEFF${TEXT}91220681MA0D55HD4C,临江`);
    const bytes = Buffer.concat([before, bad, Buffer.from('A有限公司\nnext line\n')]);
    for (const size of SIZES) {
      const error = await decode(bytes, size).then(() => null, (e: unknown) => e);
      expect(error, `chunks of ${size}`).toBeInstanceOf(ImportFileError);
      expect((error as Error).message, `chunks of ${size}`).toContain(`byte offset ${before.length} (line 3) starts an invalid sequence (${shown})`);
    }
  });

  it('refuses a file that ends inside a character', async () => {
    const bytes = Buffer.concat([Buffer.from('a\nb\n'), Buffer.from('😀').subarray(0, 3)]);
    for (const size of SIZES) {
      await expect(decode(bytes, size), `chunks of ${size}`).rejects.toThrow('byte offset 4 (line 3) ends inside a character (f0 9f 98)');
    }
  });
});

describe('checkDecodedText', () => {
  it('refuses U+FFFD, the trace of bytes that were not UTF-8, naming the line', () => {
    expect(() => checkDecodedText(TEXT)).not.toThrow();
    expect(() => checkDecodedText(`${TEXT}x,\uFFFD\uFFFD\n`)).toThrow(/^line 3 contains U\+FFFD/);
  });
});

describe('CSV quotes (RFC 4180: special only at the start of a cell)', () => {
  const read = async (text: string): Promise<ReadItem[]> => {
    const items: ReadItem[] = [];
    for await (const item of readRecords('csv', fromString(text))) items.push(item);
    return items.slice(1); // the header
  };

  it('keeps a quote inside an unquoted cell as it is', () => {
    expect(splitCsvRecord('a,12" pipe reduced to 5" at outlet DA001,b')).toEqual(['a', '12" pipe reduced to 5" at outlet DA001', 'b']);
    expect(splitCsvRecord('"x, ""y""",DN300 12",z')).toEqual(['x, "y"', 'DN300 12"', 'z']);
    expect(splitCsvRecord('"",,""""')).toEqual(['', '', '"']);
  });

  it('joins lines only while a cell that opened with a quote is open', async () => {
    const items = await read('id,text\n1,DN300 12" main\n2,"two\nlines ""quoted"""\n3,ok\n');
    expect(items).toEqual([
      { ok: true, record: { line: 2, values: { id: '1', text: 'DN300 12" main' } } },
      { ok: true, record: { line: 3, values: { id: '2', text: 'two\nlines "quoted"' } } },
      { ok: true, record: { line: 5, values: { id: '3', text: 'ok' } } },
    ]);
  });

  it('reports a quoted cell left open at the end of the file on the line it opened', async () => {
    const items = await read('id,text\n1,ok\n2,"never closed\n3,ok\n');
    expect(items[1]).toEqual({ ok: false, problems: [{ line: 3, field: '(row)', reason: expect.stringContaining('not closed before the end of the file') }] });
  });
});
