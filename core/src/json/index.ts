export { parseJson } from './parse-json.js';
export { JSON_SHAPE_HINT, jsonShapeRefusal, type JsonShapeLimits } from './json-shape.js';
