export { parseJson } from './parse-json.js';
