/** Reading canonical definitions (lift, lower and the built-ins), keeping the lift/lower options. */
import type { ByteReader } from './reader.js';
import type { Scope } from './component-scope.js';
import { at } from './component-scope.js';
import { readValType } from './component-type-reader.js';

export type StringEncoding = 'utf8' | 'utf16' | 'latin1+utf16';

export interface CanonOptions {
  op: 'lift' | 'lower';
  stringEncoding: StringEncoding;
  memory: boolean;
  realloc: boolean;
  postReturn: boolean;
  async: boolean;
}

export function readCanonOpts(r: ByteReader, op: 'lift' | 'lower'): CanonOptions {
  const o: CanonOptions = { op, stringEncoding: 'utf8', memory: false, realloc: false, postReturn: false, async: false };
  r.vec(() => {
    const tag = r.u8();
    switch (tag) {
      case 0x00:
        o.stringEncoding = 'utf8';
        break;
      case 0x01:
        o.stringEncoding = 'utf16';
        break;
      case 0x02:
        o.stringEncoding = 'latin1+utf16';
        break;
      case 0x03:
        r.u32();
        o.memory = true;
        break;
      case 0x04:
        r.u32();
        o.realloc = true;
        break;
      case 0x05:
        r.u32();
        o.postReturn = true;
        break;
      case 0x06:
        o.async = true;
        break;
      case 0x07:
        r.u32();
        break;
      default:
        r.fail(`unknown canonical option 0x${tag.toString(16)}`);
    }
  });
  return o;
}

export function readCanon(r: ByteReader, scope: Scope, out: CanonOptions[]): void {
  const op = r.u8();
  switch (op) {
    case 0x00: {
      if (r.u8() !== 0x00) r.fail('canon lift of a non-function');
      r.u32();
      const opts = readCanonOpts(r, 'lift');
      const t = at(r, scope.types, r.u32(), 'type');
      if (t.k !== 'func') r.fail('canon lift with a non-function type');
      scope.funcs.push(t);
      out.push(opts);
      return;
    }
    case 0x01:
      if (r.u8() !== 0x00) r.fail('canon lower of a non-function');
      r.u32();
      out.push(readCanonOpts(r, 'lower'));
      return;
    // Built-ins that only define core functions; their immediates are skipped.
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x0e:
    case 0x13:
    case 0x14:
    case 0x15:
    case 0x1a:
    case 0x1b:
      r.u32();
      return;
    case 0x05:
    case 0x0d:
    case 0x1e:
    case 0x1f:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x28:
      return;
    case 0x06:
    case 0x0c:
    case 0x29:
    case 0x2a:
    case 0x2b:
    case 0x2c:
    case 0x2d:
      r.u8();
      return;
    case 0x09: {
      const tag = r.u8();
      if (tag === 0x00) readValType(r, scope);
      else if (r.u8() !== 0x00) r.fail('bad task.return result list');
      readCanonOpts(r, 'lower');
      return;
    }
    case 0x0a:
    case 0x0b:
      r.u8();
      r.u32();
      return;
    case 0x0f:
    case 0x10:
    case 0x16:
    case 0x17:
      r.u32();
      readCanonOpts(r, 'lower');
      return;
    case 0x11:
    case 0x12:
    case 0x18:
    case 0x19:
      r.u32();
      r.u8();
      return;
    case 0x1c:
    case 0x1d:
      readCanonOpts(r, 'lower');
      return;
    case 0x20:
    case 0x21:
      r.u8();
      r.u32();
      return;
    case 0x27:
      r.u32();
      r.u32();
      return;
    default:
      r.fail(`unsupported canonical built-in 0x${op.toString(16)}`);
  }
}
