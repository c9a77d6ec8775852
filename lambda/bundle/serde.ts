// Stands in for `@smithy/core/serde` in the bundle (esbuild alias, infra/substitutes.ts). Everything
// bundled code imports from it is the SDK's own, re-exported from the same files, except
// sdkStreamMixin: the SDK's hands a body that is not a Node Readable to its browser twin (for a
// fetch ReadableStream or Blob), which brings the browser base64 and UTF-8 codecs and stream
// collector with it, about 2.4 KB. The broker's clients send through Node's http (node-http-handler),
// whose bodies are always Readable, as are the container credentials' answers. This is the SDK's
// sdkStreamMixin without that branch: another body is refused with the SDK's own error. The build
// checks that the SDK's file is unchanged (infra/substitutes.ts), and the substitute test runs both.

import { Readable } from 'node:stream';
// The SDK's own files, by path: the alias would turn `@smithy/core/serde` back into this module.
// dist-es has no declarations beside it (they are in dist-types).
// @ts-expect-error see above
export * from '../../node_modules/@smithy/core/dist-es/submodules/serde/index.js';
// @ts-expect-error see above
import { fromArrayBuffer, streamCollector } from '../../node_modules/@smithy/core/dist-es/submodules/serde/index.js';

const ERR_MSG_STREAM_HAS_BEEN_TRANSFORMED = 'The stream has already been transformed.';

type Collect = (stream: Readable) => Promise<Uint8Array>;

/** The SDK's sdkStreamMixin for Node Readable bodies. */
export const sdkStreamMixin = (stream: unknown) => {
  if (!(stream instanceof Readable)) {
    const name = (stream as { __proto__?: { constructor?: { name?: string } } })?.__proto__?.constructor?.name || stream;
    throw new Error(`Unexpected stream implementation, expect Stream.Readable instance, got ${String(name)}`);
  }
  let transformed = false;
  const transformToByteArray = async () => {
    if (transformed) throw new Error(ERR_MSG_STREAM_HAS_BEEN_TRANSFORMED);
    transformed = true;
    return await (streamCollector as Collect)(stream);
  };
  return Object.assign(stream, {
    transformToByteArray,
    transformToString: async (encoding?: string) => {
      const buf = await transformToByteArray();
      if (encoding === undefined || Buffer.isEncoding(encoding)) {
        return (fromArrayBuffer as (input: ArrayBufferLike, offset: number, length: number) => Buffer)(buf.buffer, buf.byteOffset, buf.byteLength).toString(encoding as BufferEncoding | undefined);
      }
      return new TextDecoder(encoding).decode(buf);
    },
    transformToWebStream: () => {
      if (transformed) throw new Error(ERR_MSG_STREAM_HAS_BEEN_TRANSFORMED);
      if (stream.readableFlowing !== null) throw new Error('The stream has been consumed by other callbacks.');
      if (typeof Readable.toWeb !== 'function') throw new Error('Readable.toWeb() is not supported. Please ensure a polyfill is available.');
      transformed = true;
      return Readable.toWeb(stream);
    },
  });
};
