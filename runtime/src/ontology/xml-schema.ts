/**
 * Declared ontologies in XML (decision 2190): an XML Schema compiled by libxml2 (the libxml2-wasm
 * build: the reference implementation of XSD, in WebAssembly, so nothing native is built, and no
 * input provider is registered: the parser reaches no host file and no network), and a message's
 * content checked against it.
 *
 * Hostile content, each refused before or right after libxml2 parses it:
 * - characters XML 1.0 does not allow (U+0000 and the other C0 controls but tab, LF, CR): with them a
 *   sender could make libxml2 read the text as UTF-16 or UCS-4 and hide a DTD from the checks;
 *   the text is also parsed as UTF-8 whatever its declaration says;
 * - a DTD: refused by its markup before the parse and by the parsed document after it, so a
 *   document's entities are never its content;
 * - more markup than ONTOLOGY_LIMITS.maxXmlMarkup: libxml2's error reports grow with the square of
 *   a wrong document's elements.
 * The content's size is the message's, bounded at the edge. Every document is disposed as soon as
 * it is judged; a compiled schema is freed by libxml2-wasm's finalizer once no deployment and no
 * cache entry holds it.
 */
import { ONTOLOGY_LIMITS } from '@caxton/core';
import { ParseOption, XmlDocument, XsdValidator } from 'libxml2-wasm';

const OPTIONS = { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE, encoding: 'utf-8' };
/** libxml2's words in a refusal are bounded: an element's name or a value may be long. */
const MAX_ERROR = 300;
/** Characters XML 1.0 does not allow in a document (its `Char` production), the ones a string may hold. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** One XML Schema, compiled. */
export class XmlSchemaCheck {
  private readonly validator: XsdValidator;

  /** Compiles `source` now: throws libxml2's error when it is no schema it can compile. */
  constructor(source: string) {
    this.validator = compileXsd(source);
  }

  /** Why `content` is not a document the schema accepts, or undefined when it is. */
  check(content: string): string | undefined {
    const refused = refusedBeforeParse(content);
    if (refused !== undefined) return refused;
    let doc: XmlDocument;
    try {
      doc = XmlDocument.fromString(content, OPTIONS);
    } catch (err) {
      return `the content is not XML: ${firstLine(err)}`;
    }
    try {
      if (doc.dtd !== null) return 'the content holds a DTD, which is refused';
      this.validator.validate(doc);
      return undefined;
    } catch (err) {
      return `the content does not match the schema: ${firstLine(err)}`;
    } finally {
      doc.dispose();
    }
  }
}

/** What is refused of content before libxml2 sees it, or undefined. */
function refusedBeforeParse(content: string): string | undefined {
  if (NOT_XML.test(content)) return 'the content holds characters XML does not allow (C0 controls other than tab, LF and CR)';
  if (content.includes('<!DOCTYPE') || content.includes('<!ENTITY')) return 'the content holds a DTD, which is refused';
  let markup = 0;
  for (let at = content.indexOf('<'); at !== -1; at = content.indexOf('<', at + 1)) {
    if (++markup > ONTOLOGY_LIMITS.maxXmlMarkup)
      return `the content holds more than ${ONTOLOGY_LIMITS.maxXmlMarkup} tags (the bound of XML content checked against a schema)`;
  }
  return undefined;
}

function compileXsd(source: string): XsdValidator {
  if (NOT_XML.test(source)) throw new Error('the schema holds characters XML does not allow');
  const doc = XmlDocument.fromString(source, OPTIONS);
  try {
    if (doc.dtd !== null) throw new Error('the schema holds a DTD');
    return XsdValidator.fromDoc(doc);
  } finally {
    doc.dispose();
  }
}

/** libxml2's message, one line, bounded. */
function firstLine(err: unknown): string {
  const text = (err as Error).message?.split('\n').find((l) => l.trim() !== '') ?? String(err);
  const line = text.trim();
  return line.length > MAX_ERROR ? `${line.slice(0, MAX_ERROR - 1)}…` : line;
}
