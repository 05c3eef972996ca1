/** FIPA message transport codecs (SC00084 HTTP MTP, SC00085 XML envelope): pure, no I/O. */
export { MtpFormatError } from './errors.js';
export { parseXml, escapeXml, decodeXmlText, DEFAULT_XML_LIMITS, type XmlElement, type XmlLimits } from './xml-subset.js';
export {
  parseMtpEnvelope,
  encodeMtpEnvelope,
  envelopeDate,
  STRING_REPRESENTATION,
  DEFAULT_ENVELOPE_LIMITS,
  type MtpEnvelope,
  type ReceivedStamp,
  type EnvelopeLimits,
} from './envelope.js';
export { multipartBoundary, parseMultipart, encodeMultipart, type MimePart } from './multipart.js';
