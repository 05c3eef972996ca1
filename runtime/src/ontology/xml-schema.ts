/**
 * Declared ontologies in XML (decision 2190): an XML Schema compiled by libxml2 (the libxml2-wasm
 * build: the reference implementation of XSD, in WebAssembly, so nothing native is built and the
 * parser has no file system or network to reach), and a message's content checked against it.
 *
 * Hostile content: a DTD is refused before libxml2 sees the text (no entity is ever declared, so
 * none expands), and the parse runs with no network and no external entities besides. The content's
 * size is the message's, bounded at the edge. libxml2's objects live in its WebAssembly memory, not
 * in V8's heap: every document is disposed as soon as it is judged, and a compiled schema when its
 * holder lets it go (`release`), after which it compiles again on its next use.
 */
import { ParseOption, XmlDocument, XsdValidator } from 'libxml2-wasm';

const OPTIONS = { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE };
/** libxml2's words in a refusal are bounded: an element's name or a value may be long. */
const MAX_ERROR = 300;

/** One XML Schema, compiled on first use. */
export class XmlSchemaCheck {
  private validator: XsdValidator | undefined;

  /**
   * Compiles `source` now: throws libxml2's error when it is no schema it can compile.
   * `recompiled` is told when a released schema compiled again (its holder counts it once more).
   */
  constructor(
    private readonly source: string,
    private readonly recompiled: () => void = () => {},
  ) {
    this.validator = compileXsd(source);
  }

  /** Why `content` is not a document the schema accepts, or undefined when it is. */
  check(content: string): string | undefined {
    if (content.includes('<!DOCTYPE') || content.includes('<!ENTITY')) return 'the content holds a DTD, which is refused';
    let doc: XmlDocument | undefined;
    try {
      doc = XmlDocument.fromString(content, OPTIONS);
    } catch (err) {
      return `the content is not XML: ${firstLine(err)}`;
    }
    try {
      if (this.validator === undefined) {
        this.validator = compileXsd(this.source);
        this.recompiled();
      }
      this.validator.validate(doc);
      return undefined;
    } catch (err) {
      return `the content does not match the schema: ${firstLine(err)}`;
    } finally {
      doc.dispose();
    }
  }

  /** Gives libxml2's memory back; a later `check` compiles the schema again. */
  release(): void {
    this.validator?.dispose();
    this.validator = undefined;
  }
}

function compileXsd(source: string): XsdValidator {
  if (source.includes('<!DOCTYPE') || source.includes('<!ENTITY')) throw new Error('the schema holds a DTD');
  const doc = XmlDocument.fromString(source, OPTIONS);
  try {
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
