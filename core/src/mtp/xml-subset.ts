/**
 * The XML Caxton reads from another platform: the subset an SC00085 envelope needs, parsed
 * strictly and bounded, because the envelope comes from the network before anything is trusted.
 * - No DTD (`<!DOCTYPE`), hence no entity declarations and no external entities: refused outright
 *   (billion laughs, XXE). Only the five predefined entities and character references are read.
 * - No processing instructions except the leading XML declaration; no CDATA (no envelope needs it).
 * - Bounded: input bytes (checked by the caller), element count, nesting depth, attributes per element.
 * Pure: text in, element tree out.
 */
import { MtpFormatError } from './errors.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (whitespace kept), concatenated. */
  text: string;
}

export interface XmlLimits {
  maxElements: number;
  maxDepth: number;
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = Object.freeze({ maxElements: 4096, maxDepth: 16, maxAttributes: 16 });

const NAME = /[A-Za-z_][A-Za-z0-9._:-]*/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function fail(rule: string, message: string): never {
  throw new MtpFormatError(
    rule,
    `envelope XML: ${message}`,
    'send an SC00085 envelope: plain elements, no DTD, no entities beyond &lt; &gt; &amp; &quot; &apos;',
  );
}

/** Replace the predefined entities and character references; anything else is refused. */
export function decodeXmlText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,16});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) fail('xml.entity', `a bare & in ${JSON.stringify(raw.slice(0, 40))}`);
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const m = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(ref);
    if (!m) fail('xml.entity', `entity &${ref.slice(0, 16)}; is not one XML predefines`);
    const code = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail('xml.entity', `&${ref}; is not a character`);
    return String.fromCodePoint(code);
  });
}

/** Escape text or an attribute value for writing. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${Object.keys(PREDEFINED).find((k) => PREDEFINED[k] === c)!};`);
}

export function parseXml(input: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  let i = 0;
  let elements = 0;
  const skipSpace = (): void => {
    while (i < input.length && /\s/.test(input[i]!)) i++;
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(input);
    if (!m) fail('xml.name', `expected a name at offset ${i}`);
    i += m[0].length;
    return m[0];
  };
  /** Skips comments; refuses DTDs, CDATA and processing instructions. */
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (input.startsWith('<!--', i)) {
        const end = input.indexOf('-->', i + 4);
        if (end < 0) fail('xml.comment', 'an unterminated comment');
        i = end + 3;
      } else if (input.startsWith('<!', i)) {
        fail(
          input.startsWith('<!DOCTYPE', i) ? 'xml.dtd' : 'xml.declaration',
          `a document type or markup declaration at offset ${i} (DTDs and entities are refused)`,
        );
      } else if (input.startsWith('<?', i)) {
        fail('xml.pi', `a processing instruction at offset ${i}`);
      } else return;
    }
  };

  const element = (depth: number): XmlElement => {
    if (depth > limits.maxDepth) fail('xml.depth', `nested deeper than ${limits.maxDepth}`);
    if (++elements > limits.maxElements) fail('xml.elements', `more than ${limits.maxElements} elements`);
    if (input[i] !== '<') fail('xml.syntax', `expected < at offset ${i}`);
    i++;
    const name = readName();
    const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
    let count = 0;
    for (;;) {
      skipSpace();
      if (input.startsWith('/>', i)) {
        i += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (input[i] === '>') {
        i++;
        break;
      }
      const attr = readName();
      if (++count > limits.maxAttributes) fail('xml.attributes', `<${name}> has more than ${limits.maxAttributes} attributes`);
      skipSpace();
      if (input[i] !== '=') fail('xml.syntax', `expected = after ${attr} at offset ${i}`);
      i++;
      skipSpace();
      const quote = input[i];
      if (quote !== '"' && quote !== "'") fail('xml.syntax', `attribute ${attr} is not quoted`);
      const end = input.indexOf(quote, i + 1);
      if (end < 0) fail('xml.syntax', `attribute ${attr} is not terminated`);
      const raw = input.slice(i + 1, end);
      if (raw.includes('<')) fail('xml.syntax', `attribute ${attr} holds <`);
      if (attr in attributes) fail('xml.syntax', `<${name}> repeats attribute ${attr}`);
      attributes[attr] = decodeXmlText(raw);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const lt = input.indexOf('<', i);
      if (lt < 0) fail('xml.syntax', `<${name}> is not closed`);
      text += decodeXmlText(input.slice(i, lt));
      i = lt;
      if (input.startsWith('</', i)) {
        i += 2;
        const closing = readName();
        if (closing !== name) fail('xml.syntax', `</${closing}> closes <${name}>`);
        skipSpace();
        if (input[i] !== '>') fail('xml.syntax', `expected > at offset ${i}`);
        i++;
        return { name, attributes, children, text };
      }
      if (input.startsWith('<!--', i)) {
        const end = input.indexOf('-->', i + 4);
        if (end < 0) fail('xml.comment', 'an unterminated comment');
        i = end + 3;
        continue;
      }
      if (input.startsWith('<!', i))
        fail(input.startsWith('<![CDATA[', i) ? 'xml.cdata' : 'xml.declaration', `markup declaration or CDATA at offset ${i}`);
      if (input.startsWith('<?', i)) fail('xml.pi', `a processing instruction at offset ${i}`);
      children.push(element(depth + 1));
    }
  };

  if (input.charCodeAt(0) === 0xfeff) i = 1;
  // The XML declaration, the one processing instruction an envelope carries.
  if (input.startsWith('<?xml', i)) {
    const end = input.indexOf('?>', i);
    if (end < 0) fail('xml.syntax', 'the XML declaration is not terminated');
    const decl = input.slice(i, end);
    const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl);
    if (enc && !/^utf-?8$/i.test(enc[1]!) && !/^us-ascii$/i.test(enc[1]!))
      fail('xml.encoding', `encoding ${enc[1]!.slice(0, 20)} (only UTF-8 is read)`);
    i = end + 2;
  }
  skipMisc();
  const root = element(1);
  skipMisc();
  if (i !== input.length) fail('xml.syntax', `content after the root element at offset ${i}`);
  return root;
}
