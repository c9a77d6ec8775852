// Stands in for `@smithy/core/checksum` in the bundle (esbuild alias, infra/substitutes.ts). The SDK
// clients import only `Sha256` from it (their runtime config's hash for SigV4 signing). The SDK's own
// Sha256 is Node's crypto when `createHash('sha256')` works and else a pure-JavaScript SHA-256, and
// both are bundled because the choice is made at load: about 3.3 KB that Node on Lambda, which
// always has crypto, never runs. This is the native branch alone, with the same contract (the
// substitute test hashes and HMACs alike with both). esbuild fails the build if bundled code imports
// another name from `@smithy/core/checksum`.

import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256, or HMAC-SHA-256 with a secret, as the SDK's Sha256Node on Node's crypto. */
export class Sha256 {
  readonly digestLength = 32;
  private hash: Hash | Hmac;
  private finished = false;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.createHash();
  }

  update(data: SourceData): void {
    if (this.finished) throw new Error('Attempted to update an already finished hash.');
    // As the SDK's: what Node's update takes (a string, a Buffer, a typed array or a DataView).
    this.hash.update(data as never);
  }

  async digest(): Promise<Uint8Array> {
    let buf: Buffer;
    if (this.secret) {
      // An HMAC cannot be copied: its digest ends it.
      this.finished = true;
      buf = this.hash.digest();
    } else {
      buf = (this.hash as Hash).copy().digest();
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  reset(): void {
    this.hash = this.createHash();
    this.finished = false;
  }

  private createHash(): Hash | Hmac {
    return this.secret ? createHmac('sha256', toBuffer(this.secret)) : createHash('sha256');
  }
}
