/** The whole data layer for Node: the browser-safe API plus the file-system readers. */
export * from './index.js';
export { detectFormat, FORMAT_EXTENSIONS, readDataset, writeSplits, type DataFormat, type ReadDatasetOptions } from './files.js';
export { MAX_LINE_BYTES, readTextLines, type TextLine } from './line-reader.js';
