// Reads a raw-lines request body: gzip (bounded expansion), then checks that it is text at all.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { BadRequestError, HttpError, UnsupportedMediaTypeError } from '../../core/errors.js';
import { BINARY_SHARE, binaryShare, isGzip } from './split.js';

const gunzipAsync = promisify(gunzip);

/**
 * The body after its Content-Encoding (gzip or none), expanded up to `maxDecompressedBytes` (413
 * beyond): the step every endpoint shares before reading its own format.
 */
export async function decodeContentEncoding(
  raw: Uint8Array,
  contentEncoding: string | null,
  maxDecompressedBytes: number,
): Promise<Uint8Array> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return raw;
  if (encoding !== 'gzip' && encoding !== 'x-gzip')
    throw new UnsupportedMediaTypeError(`unsupported Content-Encoding ${encoding}: use gzip or none`);
  try {
    return new Uint8Array(await gunzipAsync(raw, { maxOutputLength: maxDecompressedBytes }));
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(
        413,
        'payload_too_large',
        `decompressed body exceeds MAX_DECOMPRESSED_BYTES (${maxDecompressedBytes} bytes)`,
        { limitBytes: maxDecompressedBytes },
      );
    }
    throw new BadRequestError(`body is not valid gzip: ${(e as Error).message}`);
  }
}

/** `raw` is the body as received; `contentEncoding` its Content-Encoding header. */
export async function decodeTextBody(
  raw: Uint8Array,
  contentEncoding: string | null,
  maxDecompressedBytes: number,
): Promise<Uint8Array> {
  if (raw.length === 0) throw new BadRequestError('empty body: send log lines, or a JSON simulation request');
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if ((encoding === 'identity' || encoding === '') && isGzip(raw))
    throw new UnsupportedMediaTypeError('body looks gzip-compressed: send it with Content-Encoding: gzip');
  const body = await decodeContentEncoding(raw, contentEncoding, maxDecompressedBytes);
  if (body.length === 0) throw new BadRequestError('empty body after decompression');
  const share = binaryShare(body);
  if (share > BINARY_SHARE) {
    throw new UnsupportedMediaTypeError(
      `body looks binary (${Math.round(share * 100)}% NUL bytes or invalid UTF-8 in its first 64 KiB): send text log lines`,
    );
  }
  return body;
}
